# SPDX-License-Identifier: MIT
"""Connection faults: reconnect after kick, recovery after refuse_connect, a certificate from a
foreign CA refused and journaled (docs/hil.md#scenarios, docs/faults.md)."""

import os
import shutil
import subprocess

import pytest


def test_reconnects_after_kick(dut, mock):
    seq = mock.last_seq()
    m = dut.mark()
    mock.fault(action="kick", match={"device": dut.id})
    dut.wait_event("disconnected", since=m)
    dut.wait_event("ready", since=m, timeout=120)
    mock.wait(kind="mqtt.disconnect", device=dut.id, after=seq)
    mock.wait(kind="mqtt.connect", device=dut.id, after=seq)
    assert dut.cmd("status")["state"] == "ready"


def test_recovers_after_refuse_connect(dut, mock):
    seq = mock.last_seq()
    m = dut.mark()
    mock.fault(action="refuse_connect", match={"device": dut.id}, count=2)
    mock.fault(action="kick", match={"device": dut.id})
    dut.wait_event("ready", since=m, timeout=180)
    assert mock.count(kind="mqtt.refused", device=dut.id, after=seq) == 2
    rec = mock.wait(kind="mqtt.connect", device=dut.id, after=seq)
    assert rec["status"] == 0
    assert mock.count(kind="fault.fired", after=seq) >= 3


def test_foreign_certificate_is_refused_and_journaled(lab, mock, new_sim):
    """A device whose certificate comes from a CA the server does not trust: the TLS handshake
    fails, `mqtt.refused` names the reason, the device is not onboarded."""
    if not lab.sim:
        pytest.skip("needs a second device with a foreign certificate (run with --dut sim:...)")
    d = os.path.join(lab.tmp, "foreign")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    dev = "foreign-000001"

    def ssl(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True)

    ssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "fca.key")
    ssl("req", "-x509", "-new", "-key", "fca.key", "-subj", "/CN=Foreign CA", "-days", "30",
        "-out", "fca.pem")
    ssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", dev + ".key")
    ssl("req", "-new", "-key", dev + ".key", "-subj", "/CN=" + dev, "-out", dev + ".csr")
    ssl("x509", "-req", "-in", dev + ".csr", "-CA", "fca.pem", "-CAkey", "fca.key",
        "-CAcreateserial", "-days", "30", "-out", dev + ".crt")
    shutil.copy(mock.cafile, os.path.join(d, "ca.pem"))  # the server's CA, as the sim expects
    for f in ("fca.key", "fca.pem", "fca.srl", dev + ".csr"):
        os.unlink(os.path.join(d, f)) if os.path.exists(os.path.join(d, f)) else None
    seq = mock.last_seq()
    new_sim(certs=d)
    rec = mock.wait(kind="mqtt.refused", after=seq)
    assert "unknown CA" in str(rec), rec
    status, _ = mock.admin("GET", "/mock/v1/devices/" + dev)
    assert status == 404
    assert mock.count(kind="mqtt.connect", device=dev, after=seq) == 0
