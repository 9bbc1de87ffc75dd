# SPDX-License-Identifier: MIT
"""Provisioning (docs/lab.md#provision): `nrfcloud-mock provision` writes a key made in the
modem and a lab certificate into sec tag 16842753 over the AT host, onboards the device, and a
device with those credentials connects. On sim the modem is tools/modem-emu; a kit is
provisioned the same way with an at_client image before the lab firmware is flashed
(docs/hil.md#kits)."""

import json
import os
import random
import subprocess

import pytest

from lab import Proc

SEC_TAG = 16842753


def test_provisioning_against_modem_emu(lab, mock, new_sim):
    if not lab.sim:
        pytest.skip("a kit is provisioned before the run (nrfcloud-mock provision, docs/lab.md)")
    if not mock.data:
        pytest.skip("provisioning signs with the lab CA: needs --mock-data")
    imei = "3526561%08d" % random.randrange(10 ** 8)
    dev = "nrf-" + imei
    store = os.path.join(lab.tmp, "modem-%s.json" % imei)
    emu = Proc([lab.modem_emu, "--store", store, "--imei", imei, "--cfun", "1"],
               r"modem-emu: ready (\S+)", timeout=30)
    try:
        tty = emu.match.group(1)
        r = subprocess.run([lab.bin, "provision", "--port", tty, "--data", mock.data,
                            "--server", mock.admin_url, "--timeout", "10"]
                           + (["--admin-token", mock.admin_token] if mock.admin_token else []),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        emu.stop()
    # onboarded through the admin API with the certificate the modem's key belongs to
    obj = mock.ok(mock.admin("GET", "/mock/v1/devices/" + dev), 200)
    with open(store) as f:
        creds = {(c["tag"], c["type"]): c["content"] for c in json.load(f)["credentials"]}
    cert, key = creds[(SEC_TAG, 1)], creds[(SEC_TAG, 2)]
    def norm(pem):
        return "".join(pem.split())

    assert norm(obj["certificate"]) == norm(cert)
    assert (SEC_TAG, 0) in creds  # the CA the modem checks the server with
    # the device connects with the provisioned key (the emulator keeps what KEYGEN made)
    d = os.path.join(lab.tmp, "prov-" + imei)
    os.makedirs(d)
    with open(os.path.join(d, dev + ".crt"), "w") as f:
        f.write(cert)
    with open(os.path.join(d, dev + ".key"), "w") as f:
        f.write(key)
    with open(os.path.join(d, "ca.pem"), "w") as f:
        f.write(creds[(SEC_TAG, 0)])  # what the modem trusts must verify the server
    seq = mock.last_seq()
    dut = new_sim(certs=d)
    dut.id = dev
    ready = dut.wait_event("ready", timeout=60)
    assert ready["id"] == dev
    assert dut.cmd("status")["id"] == dev
    rec = mock.wait(kind="mqtt.connect", device=dev, after=seq)
    assert rec["status"] == 0
