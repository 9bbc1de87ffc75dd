# SPDX-License-Identifier: MIT
"""Connect and pairing per generation (docs/hil.md#scenarios)."""

from lab import DELTA_TOPIC, generation


def test_connects_and_pairs(dut, mock):
    st = dut.cmd("status")
    assert st["state"] == "ready"
    assert st["id"] == dut.id
    # the CONNECT the server saw, then the generation's delta subscription
    mock.wait(kind="mqtt.connect", device=dut.id)
    mock.wait(kind="mqtt.subscribe", device=dut.id,
              topic=DELTA_TOPIC[generation(dut.ncs)].format(id=dut.id))
    sh = mock.shadow(dut.id)
    assert sh["reported"]["pairing"]["state"] == "paired"
    # the info sections a sample reports, FOTA types among them
    mock.wait(kind="mqtt.publish", device=dut.id,
              payload={"state": {"reported": {"device": {"serviceInfo": {}}}}})
    sh = mock.shadow(dut.id)
    assert "fota_v2" in sh["reported"]["device"]["serviceInfo"]
    assert sh["reported"]["device"]["deviceInfo"]

