# SPDX-License-Identifier: MIT
"""Fixtures of the hardware-in-the-loop suite (docs/hil.md).

`mock`: an nrfcloud-mock started on free ports in a temporary folder (or `--mock URL` with
`--mock-rest`, `--mock-api-key`, `--mock-ca`, `--mock-mqtt-port` for a server the lab runs).
`dut`: the device under test's lab shell: `--dut /dev/ttyACM0` (a kit; `--flash CMD` runs once
before the session, `--dut-id` names it when `status` cannot be trusted) or
`--dut sim:ncs-2.5|sim:ncs-2.8|sim:ncs-3.3` (`nrfcloud-mock sim --pty`, a new device per test).
"""

import os
import shutil
import subprocess
import tempfile

import pexpect
import pytest

from lab import Dut, Mock, Proc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def pytest_addoption(parser):
    g = parser.getgroup("hil", "nrfcloud-mock hardware-in-the-loop")
    g.addoption("--dut", default=os.environ.get("HIL_DUT", "sim:ncs-3.3"),
                help="serial port of a kit running firmware/app, or sim:ncs-2.5|2.8|3.3")
    g.addoption("--baud", type=int, default=115200, help="kit UART speed")
    g.addoption("--flash", default=None, help="command that flashes the kit, run once first")
    g.addoption("--dut-id", default=None, help="the kit's device ID (default: its `status`)")
    g.addoption("--fota-image", default=None,
                help="a signed app_update.bin for the FOTA tests (a kit boots it)")
    g.addoption("--fota-version", default=None, help="the version that image reports")
    g.addoption("--mock", default=None, help="admin URL of a running nrfcloud-mock")
    g.addoption("--mock-rest", default=None, help="its REST URL (https://HOST:8443)")
    g.addoption("--mock-api-key", default="f0e1d2c3b4a5968778695a4b3c2d1e0f00112233")
    g.addoption("--mock-ca", default=None, help="its CA (PEM); default: GET /mock/v1/ca.pem")
    g.addoption("--mock-mqtt-port", type=int, default=8883)
    g.addoption("--mock-data", default=None, help="its data folder (sim devices need the lab CA)")
    g.addoption("--admin-token", default=None)
    g.addoption("--nrfcloud-mock", default=os.environ.get(
        "NCM_BIN", os.path.join(ROOT, "build", "nrfcloud-mock")))
    g.addoption("--modem-emu", default=os.environ.get(
        "NCM_MODEM_EMU", os.path.join(ROOT, "build", "tools", "modem-emu", "modem-emu")))
    g.addoption("--mock-fixtures", default=os.environ.get("NCM_FIXTURES",
                                                     os.path.join(ROOT, "fixtures")))


class Lab:
    """Session-wide settings the fixtures and scenarios share."""

    def __init__(self, config):
        o = config.getoption
        self.dut_spec = o("--dut")
        self.sim = self.dut_spec.startswith("sim:")
        self.ncs = self.dut_spec.split("ncs-", 1)[1] if self.sim else None
        if self.sim and self.ncs not in ("2.5", "2.8", "3.3"):
            raise pytest.UsageError("--dut sim:ncs-2.5|sim:ncs-2.8|sim:ncs-3.3, not %s" %
                                    self.dut_spec)
        self.bin = o("--nrfcloud-mock")
        self.modem_emu = o("--modem-emu")
        self.tmp = tempfile.mkdtemp(prefix="ncm-hil-")
        os.chmod(self.tmp, 0o755)  # the broker may run as another user (serve --user)


@pytest.fixture(scope="session")
def lab(pytestconfig):
    lab = Lab(pytestconfig)
    yield lab
    shutil.rmtree(lab.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def mock(lab, pytestconfig):
    o = pytestconfig.getoption
    if o("--mock"):
        m = Mock(o("--mock"), o("--mock-rest") or o("--mock").replace("http:", "https:").rsplit(
            ":", 1)[0] + ":8443", o("--mock-api-key"), None, o("--mock-mqtt-port"),
            data=o("--mock-data"), admin_token=o("--admin-token"))
        ca = o("--mock-ca")
        if not ca:
            ca = os.path.join(lab.tmp, "ca.pem")
            status, pem = m.admin("GET", "/mock/v1/ca.pem")
            assert status == 200, "GET /mock/v1/ca.pem: %s" % status
            with open(ca, "w") as f:
                f.write(pem if isinstance(pem, str) else pem.decode())
        yield Mock(m.admin_url, m.rest_url, m.api_key, ca, m.mqtt_port, data=m.data,
                   admin_token=m.admin_token)
        return
    # `serve` picks free ports and then the broker binds them: another process can take one in
    # between ("Address already in use"), so a failed start is tried again with new ports
    for attempt in range(3):
        data = os.path.join(lab.tmp, "data%d" % attempt)
        try:
            p = Proc([lab.bin, "serve", "--data", data, "--fixtures", o("--mock-fixtures"),
                      "--mqtt-bind", "127.0.0.1", "--https-bind", "127.0.0.1", "--mqtt-port",
                      "0", "--https-port", "0", "--admin-port", "0"],
                     r"\r?\nready\r?\n", timeout=60)
            break
        except (pexpect.EOF, pexpect.TIMEOUT):
            if attempt == 2:
                raise
    info = {}
    for line in p.head.splitlines():
        parts = line.strip().split(" ", 1)
        if len(parts) == 2:
            info[parts[0]] = parts[1]
    m = Mock("http://127.0.0.1:%s" % info["admin-port"],
             "https://localhost:%s" % info["https-port"], info["api-key"], info["ca"],
             int(info["mqtt-port"]), data=data)
    m.proc = p
    yield m
    p.stop()


@pytest.fixture(scope="session")
def kit(lab, pytestconfig):
    """A real kit's serial port, flashed once (--flash) and opened for the session."""
    if lab.sim:
        yield None
        return
    flash = pytestconfig.getoption("--flash")
    if flash:
        subprocess.run(flash, shell=True, check=True)
    d = Dut(lab.dut_spec, pytestconfig.getoption("--baud"))
    d.id = pytestconfig.getoption("--dut-id")
    yield d
    d.close()


class SimDut(Dut):
    """`nrfcloud-mock sim --pty`: one simulated device whose lab shell is the pty."""

    def __init__(self, lab, mock, prefix, extra=(), certs=None):
        argv = [lab.bin, "sim", "--ncs", lab.ncs, "--id-prefix", prefix, "--pty",
                "--server", "127.0.0.1", "--mqtt-port", str(mock.mqtt_port),
                "--https-port", mock.rest_url.rsplit(":", 1)[1], "--tls-name", mock.tls_name,
                "--reconnect-min", "200", "--reconnect-max", "2000", "--reboot-time", "200",
                "--stall-timeout", "3000"]
        if certs:
            argv += ["--certs", certs]
        else:
            if not mock.data:
                pytest.skip("sim devices against --mock need --mock-data (the lab CA)")
            argv += ["--data", mock.data]
        self.proc = Proc(argv + list(extra), r"pty (/dev/\S+)", timeout=30)
        super().__init__(self.proc.match.group(1))
        self.id = prefix + "000001"
        self.ncs = lab.ncs
        self.simulated = True

    def close(self):
        super().close()
        self.proc.stop()


_seq = [0]


@pytest.fixture
def new_sim(lab, mock, request):
    """Starts extra sim devices (closed after the test): new_sim(extra_args, certs=DIR)."""
    started = []

    def start(extra=(), certs=None, prefix=None):
        _seq[0] += 1
        p = prefix or "h%s%d-" % (lab.ncs.replace(".", ""), _seq[0])
        d = SimDut(lab, mock, p, extra, certs)
        started.append(d)
        return d

    yield start
    for d in started:
        d.close()


@pytest.fixture
def dut(lab, mock, kit, new_sim):
    """The device under test, ready (its data channel up) when the test starts."""
    mock.clear_faults()
    if lab.sim:
        d = new_sim()
        # events from before the port was opened are gone (pyserial flushes the input on
        # open, as a kit's are lost before a tester attaches): ask, then wait if needed
        m = d.mark()
        if d.cmd("status").get("state") != "ready":
            d.wait_ready(since=m, timeout=60)
        return d
    kit.drain()
    m = kit.mark()
    st = kit.cmd("status")
    kit.id = kit.id or st["id"]
    kit.ncs = st.get("ncs")
    if st.get("state") != "ready":
        kit.wait_ready(since=m, timeout=120)
    return kit
