# SPDX-License-Identifier: MIT
"""Ground fix, A-GNSS and P-GPS (docs/hil.md#scenarios, docs/location.md)."""

import json

import pytest


def test_ground_fix(dut, mock):
    seq = mock.last_seq()
    m = dut.mark()
    assert dut.cmd("location") == {"command": "location"}
    ev = dut.wait_event("location", since=m)
    assert -90 <= ev["lat"] <= 90 and -180 <= ev["lon"] <= 180
    assert ev["uncertainty"] > 0 and ev["fulfilledWith"]
    mock.wait(kind="location.request", device=dut.id, after=seq)
    mock.wait(kind="location.answer", device=dut.id, after=seq)


def test_agnss(dut, mock):
    seq = mock.last_seq()
    m = dut.mark()
    assert dut.cmd("agnss") == {"command": "agnss"}
    ev = dut.wait_event("agnss", since=m)
    assert ev["parts"] >= 1
    if dut.simulated:  # a kit's library hides the part sizes (docs/firmware.md#events)
        assert ev["bytes"] > 0
    mock.wait(kind="location.request", device=dut.id, after=seq)



def test_pgps(dut, mock):
    """P-GPS over MQTT: the request on d2c, the answer naming a prediction file on .../pgps/r,
    the file downloaded in Range requests, then the device's `pgps` event."""
    seq = mock.last_seq()
    m = dut.mark()
    # `location pgps` is `pgps` under the location command (docs/lab-shell.md)
    assert dut.cmd("location pgps") == {"command": "location"}
    ev = dut.wait_event("pgps", since=m, timeout=120)
    # a week of 4-hour predictions: CONFIG_NRF_CLOUD_PGPS_NUM_PREDICTIONS and _PREDICTION_PERIOD
    # defaults, which the lab firmware keeps and sim sends
    req = mock.wait(kind="location.request", device=dut.id, after=seq,
                    payload={"predictionCount": 42, "predictionIntervalMinutes": 240})
    assert req["reason"] == "PGPS"
    ans = mock.wait(kind="location.answer", device=dut.id, after=seq)
    assert ans["status"] == 200 and ans["reason"] == "PGPS"
    where = json.loads(ans["payload"])
    assert where["path"] and where["host"]
    mock.wait(kind="mqtt.send", device=dut.id, topic="+/+/m/d/%s/pgps/r" % dut.id, after=seq,
              payload=[where["host"], where["path"]])
    # the download is anonymous (no device in the record): this test is the only one asking
    got = mock.journal(kind="http.request", topic="GET /" + where["path"], after=seq)
    assert got and all(r["status"] == 206 for r in got)
    if dut.simulated:  # a kit's library does not say how much it downloaded
        assert ev["bytes"] > 0
        # sim asks for 1500-byte ranges (CONFIG_NRF_CLOUD_PGPS_DOWNLOAD_FRAGMENT_SIZE)
        assert len(got) == -(-ev["bytes"] // 1500)
    else:
        assert ev["predictions"] == 42
    assert mock.count(kind="http.request", topic="GET /public/+", after=seq) == len(got)


def test_pgps_error_answer(dut, mock):
    """A failing P-GPS service: the error answer reaches the device, which reports it and
    downloads nothing."""
    if not dut.simulated:
        pytest.skip("the nrf_cloud_pgps library logs an error answer; it raises no event")
    seq = mock.last_seq()
    mock.fault(action="location_error", match={"service": "PGPS"})
    m = dut.mark()
    assert dut.cmd("pgps") == {"command": "pgps"}
    ev = dut.wait_event("error", since=m, what="pgps")
    assert ev["err"] == 50010
    mock.wait(kind="fault.fired", after=seq)
    ans = mock.wait(kind="location.answer", device=dut.id, after=seq)
    assert ans["status"] != 200
    mock.wait(kind="mqtt.send", device=dut.id, topic="+/+/m/d/%s/pgps/r" % dut.id, after=seq,
              payload={"appId": "PGPS", "err": 50010})
    assert mock.count(kind="http.request", topic="GET /public/+", after=seq) == 0
