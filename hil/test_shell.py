# SPDX-License-Identifier: MIT
"""The lab shell's own actions (docs/lab-shell.md#commands): a reported-state change, a FOTA
check, a reconnect, a reboot, and its error answers."""

import time

from lab import DELTA_TOPIC, generation


def test_report_reaches_the_shadow_without_a_delta(dut, mock):
    value = int(time.time() * 1000) % 1000000
    seq = mock.last_seq()
    assert dut.cmd("report hilReported %d" % value) == {"command": "report"}
    mock.wait(kind="mqtt.publish", device=dut.id, after=seq,
              payload={"state": {"reported": {"config": {"hilReported": value}}}})
    dut.cmd("send HIL after-report-%d" % value)  # barrier (one device's packets in order)
    mock.wait(kind="mqtt.publish", device=dut.id, after=seq,
              payload={"data": "after-report-%d" % value})
    assert mock.shadow(dut.id)["reported"]["config"]["hilReported"] == value
    topic = DELTA_TOPIC[generation(dut.ncs)].format(id=dut.id)
    assert mock.count(kind="mqtt.send", device=dut.id, topic=topic, after=seq) == 0


def test_fota_check_asks_for_a_job(dut, mock):
    seq = mock.last_seq()
    assert dut.cmd("fota") == {"command": "fota"}
    rec = mock.wait(kind="mqtt.publish", device=dut.id, after=seq, payload=[""])
    assert rec["topic"].endswith("%s/jobs/req" % dut.id)


def test_reconnect(dut, mock):
    seq = mock.last_seq()
    m = dut.mark()
    assert dut.cmd("reconnect") == {"command": "reconnect"}
    dut.wait_event("disconnected", since=m)
    dut.wait_event("ready", since=m, timeout=120)
    mock.wait(kind="mqtt.disconnect", device=dut.id, after=seq)
    mock.wait(kind="mqtt.connect", device=dut.id, after=seq)


def test_reboot(dut, mock):
    seq = mock.last_seq()
    m = dut.mark()
    assert dut.cmd("reboot") == {"command": "reboot"}
    dut.wait_event("reboot", since=m)
    dut.wait_event("ready", since=m, timeout=120)
    mock.wait(kind="mqtt.connect", device=dut.id, after=seq)


def test_shell_errors(dut):
    if dut.simulated:  # on a kit Zephyr's shell answers an unknown command itself
        ok, obj = dut.cmd_raw("frobnicate")
        assert not ok and obj == {"error": "unknown command", "command": "frobnicate"}
    ok, obj = dut.cmd_raw("send HIL")
    assert not ok and obj == {"error": "usage: send APPID DATA"}
    ok, obj = dut.cmd_raw("report hilKey")
    assert not ok and obj == {"error": "usage: report KEY VALUE"}
    ok, obj = dut.cmd_raw("location gnss")
    assert not ok and obj == {"error": "usage: location [cell|agnss|pgps]"}
    cmds = dut.cmd("help")["commands"]
    for c in ("status", "send APPID DATA", "location [cell|agnss|pgps]", "agnss", "pgps",
              "reboot", "report KEY VALUE", "fota", "reconnect"):
        assert c in cmds
    v = dut.cmd("version")
    assert set(v) >= {"ncs", "app", "modem"}
