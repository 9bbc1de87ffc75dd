# SPDX-License-Identifier: MIT
"""Ground fix and A-GNSS (docs/hil.md#scenarios, docs/location.md)."""


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
