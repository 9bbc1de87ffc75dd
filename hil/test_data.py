# SPDX-License-Identifier: MIT
"""Shadow config, c2d and d2c (docs/hil.md#scenarios)."""

import time

from lab import DELTA_TOPIC, generation


def test_rest_config_change_is_reported_back_with_no_extra_delta(dut, mock):
    value = int(time.time() * 1000) % 1000000  # new on every run, also on a kit
    seq = mock.last_seq()
    m = dut.mark()
    mock.ok(mock.rest("PATCH", "/v1/devices/%s/state" % dut.id,
                      {"desired": {"config": {"hilValue": value}}}), 202)
    ev = dut.wait_event("delta", since=m)
    assert ev["state"]["config"]["hilValue"] == value
    mock.wait(kind="mqtt.publish", device=dut.id, after=seq,
              payload={"state": {"reported": {"config": {"hilValue": value}}}})
    # barrier: a message sent after the report is journaled after anything the report caused
    # (the broker handles one device's packets in order)
    dut.cmd("send HIL barrier-%d" % value)
    mock.wait(kind="mqtt.publish", device=dut.id, after=seq,
              payload={"appId": "HIL", "data": "barrier-%d" % value})
    topic = DELTA_TOPIC[generation(dut.ncs)].format(id=dut.id)
    assert mock.count(kind="mqtt.send", device=dut.id, topic=topic, after=seq) == 1
    sh = mock.shadow(dut.id)
    assert sh["reported"]["config"]["hilValue"] == value
    assert "config" not in (sh.get("delta") or {})


def test_c2d_reaches_the_device(dut, mock):
    data = "ping-%d" % (int(time.time() * 1000) % 1000000)
    m = dut.mark()
    mock.ok(mock.admin("POST", "/mock/v1/devices/%s/messages" % dut.id,
                       {"appId": "HIL", "data": data}), 200)
    ev = dut.wait_event("c2d", since=m)
    assert ev["payload"]["appId"] == "HIL" and ev["payload"]["data"] == data


def test_d2c_is_stored(dut, mock):
    data = "hello-%d" % (int(time.time() * 1000) % 1000000)
    seq = mock.last_seq()
    assert dut.cmd("send HIL %s from the lab" % data) == {"command": "send"}
    rec = mock.wait(kind="mqtt.publish", device=dut.id, after=seq,
                    payload={"appId": "HIL", "messageType": "DATA",
                             "data": "%s from the lab" % data})
    assert rec["topic"].endswith("m/d/%s/d2c" % dut.id)
    items = mock.ok(mock.rest("GET", "/v1/messages?deviceId=%s" % dut.id), 200)["items"]
    assert any(data in str(i.get("message")) for i in items)

