# SPDX-License-Identifier: MIT
"""FOTA: an app update, one through a firmware_reset fault with resume, a cancelled job
(docs/hil.md#scenarios, docs/fota.md)."""

import io
import json
import os
import time
import zipfile

import pytest

from lab import wait_info

IMAGE_SIZE = 24 * 1024


def upload_app(mock, version, image=None):
    """POSTs an APP bundle (the dfu_application.zip shape, format-version 0) and returns its
    bundle ID. Without an image: IMAGE_SIZE random bytes (sim checks size and hash only)."""
    image = image if image is not None else os.urandom(IMAGE_SIZE)
    manifest = {"name": "hil", "fwversion": version, "format-version": 0,
                "files": [{"file": "app_update.bin", "type": "application",
                           "size": len(image)}]}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
        z.writestr("app_update.bin", image)
    obj = mock.ok(mock.rest("POST", "/v1/firmwares", buf.getvalue(), ctype="application/zip"),
                  202, 200)
    uri = obj["uris"][0]
    return uri.rstrip("/").split("/")[-2]


def create_job(mock, dut, bundle):
    wait_info(mock, dut)
    obj = mock.ok(mock.rest("POST", "/v1/fota-jobs", {"bundleId": bundle,
                                                      "deviceIds": [dut.id]}), 201)
    return obj["jobId"]


def execution(mock, dut, job):
    return mock.ok(mock.rest("GET", "/v1/fota-job-executions/%s/%s" % (dut.id, job)), 200)


def version():
    return "v9.%d.%d" % (int(time.time()) % 1000, int(time.time() * 1000) % 1000)


def wait_execution(mock, dut, job, want, seq):
    """Waits on the journal's fota.status records until the execution is `want`."""
    after = seq
    while True:
        st = execution(mock, dut, job)["status"]
        if st == want:
            return
        rec = mock.wait(kind="fota.status", device=dut.id, after=after, timeout_ms=120000)
        after = rec["seq"]


def app_update(dut, mock, config, fault=None):
    """A kit's nrf_cloud library does not put the job ID, the byte count or the final status
    in its events (docs/firmware.md#events), so those are checked on sim only; the cloud side
    (execution SUCCEEDED, the new appVersion) is checked on both."""
    ver, image = version(), None
    if config.getoption("--fota-image"):
        with open(config.getoption("--fota-image"), "rb") as f:
            image = f.read()
        ver = config.getoption("--fota-version") or pytest.fail("--fota-version is needed")
    elif not dut.simulated:
        pytest.skip("a kit needs a bootable image: --fota-image FILE --fota-version V")
    bundle = upload_app(mock, ver, image)
    if fault:
        mock.fault(**fault)
    seq = mock.last_seq()
    m = dut.mark()
    job = create_job(mock, dut, bundle)
    jobm = {"job": job} if dut.simulated else {}
    dut.wait_event("fota", since=m, status="received", timeout=60, **jobm)
    if fault:
        mock.wait(kind="fault.fired", after=seq)
        if dut.simulated:
            dut.wait_event("fota", since=m, job=job, status="resume", timeout=60)
    done = dut.wait_event("fota", since=m, status="downloaded", timeout=120, **jobm)
    if dut.simulated:
        assert done["bytes"] == (len(image) if image else IMAGE_SIZE)
        dut.wait_event("fota", since=m, job=job, status="SUCCEEDED", timeout=120)
    ready = dut.wait_event("ready", since=m, app=ver, timeout=180)
    assert ready["app"] == ver
    wait_execution(mock, dut, job, "SUCCEEDED", seq)
    assert dut.cmd("status")["app"] == ver
    mock.wait(kind="mqtt.publish", device=dut.id, after=seq,
              payload={"state": {"reported": {"device": {"deviceInfo": {"appVersion": ver}}}}})


def test_fota_app_update(dut, mock, pytestconfig):
    app_update(dut, mock, pytestconfig)


# at_byte counts the body of one ranged answer: below the 1700-byte piece a device asks for
def test_fota_resumes_after_firmware_reset_at_byte_n(dut, mock, pytestconfig):
    app_update(dut, mock, pytestconfig, {"action": "firmware_reset", "at_byte": 1000, "count": 1})


def test_cancelled_job(dut, mock):
    """The job is cancelled while its download is held (firmware_stall): the execution ends
    CANCELLED and stays so; what the device reports on it afterwards is refused and
    journaled."""
    bundle = upload_app(mock, version())
    mock.fault(action="firmware_stall", at_byte=1000, delay_ms=2000, count=1)
    seq = mock.last_seq()
    job = create_job(mock, dut, bundle)
    mock.wait(kind="fault.fired", after=seq)
    mock.ok(mock.rest("PUT", "/v1/fota-jobs/%s/cancel" % job), 202, 200)
    assert mock.ok(mock.rest("GET", "/v1/fota-jobs/%s" % job), 200)["status"] == "CANCELLED"
    assert execution(mock, dut, job)["status"] == "CANCELLED"
    rec = mock.wait(kind="fota.status_refused", device=dut.id, after=seq, timeout_ms=60000)
    assert job in (rec.get("reason") or "") + (rec.get("payload") or "") + json.dumps(rec)
    assert execution(mock, dut, job)["status"] == "CANCELLED"
