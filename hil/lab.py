# SPDX-License-Identifier: MIT
"""The HIL suite's two handles (docs/hil.md): `Mock`, an nrfcloud-mock server reached through its
admin API and REST API, and `Dut`, a device's lab shell on a serial line (a kit's UART or the pty
of `nrfcloud-mock sim --pty`), spoken as docs/lab-shell.md defines it. Nothing here sleeps: waits
are blocking reads with a deadline or the admin API's /mock/v1/wait."""

import json
import re
import ssl
import threading
import time
import urllib.error
import urllib.request

import pexpect
import serial


class LabError(AssertionError):
    pass


class Mock:
    """A running nrfcloud-mock: admin (plain HTTP), REST (HTTPS, API key), ports and the CA."""

    def __init__(self, admin, rest, api_key, cafile, mqtt_port, data=None, admin_token=None,
                 tls_name="localhost"):
        self.admin_url = admin.rstrip("/")
        self.rest_url = rest.rstrip("/")
        self.api_key = api_key
        self.cafile = cafile
        self.mqtt_port = mqtt_port
        self.data = data                # the data folder (lab CA key) when we can reach it
        self.admin_token = admin_token
        self.tls_name = tls_name
        self._ctx = ssl.create_default_context(cafile=cafile) if cafile else None

    # --- HTTP -------------------------------------------------------------------------------
    def _call(self, url, method, body, headers, ctx, timeout):
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=timeout) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        try:
            obj = json.loads(text) if text else None
        except ValueError:
            obj = text.decode(errors="replace")
        return status, obj

    def admin(self, method, path, body=None, timeout=30):
        headers = {}
        if self.admin_token:
            headers["Authorization"] = "Bearer " + self.admin_token
        return self._call(self.admin_url + path, method, body, headers, None, timeout)

    def rest(self, method, path, body=None, ctype=None, timeout=30):
        headers = {"Authorization": "Bearer " + self.api_key}
        if ctype:
            headers["Content-Type"] = ctype
        return self._call(self.rest_url + path, method, body, headers, self._ctx, timeout)

    def ok(self, status_obj, *want):
        status, obj = status_obj
        if status not in want:
            raise LabError("HTTP %d (want %s): %r" % (status, want, obj))
        return obj

    # --- journal, wait, faults ----------------------------------------------------------------
    def wait(self, timeout_ms=30000, **match):
        """POST /mock/v1/wait: the first record that matches (one already there counts).

        Asked in slices of at most 2 s: a record journaled inside a store transaction that is
        still open is offered to waiters before other connections can read it, so a wait that
        arrives in between misses it (reported upstream); the next slice's scan finds it."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            left = int((deadline - time.monotonic()) * 1000)
            body = dict(match, timeout_ms=max(1, min(left, 2000)))
            status, obj = self.admin("POST", "/mock/v1/wait", body, timeout=15)
            if status == 200:
                return obj.get("record", obj)
            if status != 408 or left <= 2000:
                raise LabError("no journal record %r within %d ms: %r" %
                               (match, timeout_ms, obj))

    def journal(self, **query):
        q = "&".join("%s=%s" % (k, urllib.request.quote(str(v), safe="")) for k, v in
                     query.items())
        obj = self.ok(self.admin("GET", "/mock/v1/journal?" + q), 200)
        return obj.get("records", obj.get("items", [])) if isinstance(obj, dict) else obj

    def count(self, **query):
        q = "&".join("%s=%s" % (k, urllib.request.quote(str(v), safe="")) for k, v in
                     query.items())
        return self.ok(self.admin("GET", "/mock/v1/journal/count?" + q), 200)["count"]

    def last_seq(self):
        """The sequence number of the newest journal record (0: none), for `after`."""
        recs = self.journal(limit=100000)
        return max((r.get("seq", 0) for r in recs), default=0)

    def fault(self, **fault):
        return self.ok(self.admin("POST", "/mock/v1/faults", fault), 201)

    def clear_faults(self):
        self.admin("DELETE", "/mock/v1/faults")

    def shadow(self, device):
        sh = self.ok(self.admin("GET", "/mock/v1/devices/%s/shadow" % device), 200)
        return sh.get("state", sh)


def dig(obj, dotted):
    for k in dotted.split("."):
        if not isinstance(obj, dict) or k not in obj:
            return None
        obj = obj[k]
    return obj


def subset(want, got):
    """True when every member of want is in got with the same value (recursively)."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and subset(v, got[k])
                                             for k, v in want.items())
    return want == got


class Dut:
    """A lab shell on a serial line. Lines that do not start with @ok/@err/@ev are logged and
    otherwise ignored (boot banner, Zephyr log), as docs/lab-shell.md#transport says."""

    LINE = re.compile(r"^@(ok|err|ev) (\{.*\})\s*$")

    def __init__(self, port, baud=115200, log=None):
        self.port = port
        self.ser = serial.Serial(port, baud, timeout=0.5)
        self.buf = b""
        self.events = []
        self.answers = []
        self.log = log or []
        self.id = None
        self.ncs = None
        self.simulated = False  # sim --pty: events carry what a kit's library hides

    def close(self):
        try:
            self.ser.close()
        except Exception:
            pass

    def _pump(self, deadline):
        """Reads what the line has (blocking up to the deadline for the next byte)."""
        while True:
            if b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                self._line(line.decode(errors="replace").rstrip("\r"))
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.ser.timeout = min(left, 0.5)
            chunk = self.ser.read(self.ser.in_waiting or 1)
            if chunk:
                self.buf += chunk

    def _line(self, text):
        self.log.append(text)
        m = self.LINE.match(text)
        if not m:
            return
        try:
            obj = json.loads(m.group(2))
        except ValueError:
            raise LabError("not JSON after @%s: %r" % (m.group(1), text))
        if m.group(1) == "ev":
            self.events.append(obj)
        else:
            self.answers.append((m.group(1), obj))

    def cmd(self, line, timeout=10):
        """Sends one command; returns the @ok object, raises on @err or silence."""
        ok, obj = self.cmd_raw(line, timeout)
        if not ok:
            raise LabError("%r answered @err %r" % (line, obj))
        return obj

    def cmd_raw(self, line, timeout=10):
        self.answers.clear()
        self.ser.write((line + "\r\n").encode())
        self.ser.flush()
        deadline = time.monotonic() + timeout
        while not self.answers:
            if not self._pump(deadline):
                raise LabError("no answer to %r in %ss; last lines: %r" %
                               (line, timeout, self.log[-10:]))
        kind, obj = self.answers.pop(0)
        return kind == "ok", obj

    def mark(self):
        """An index into the events seen so far: wait_event(since=mark) looks only later."""
        return len(self.events)

    def wait_event(self, ev, since=0, timeout=60, **fields):
        """The first event named ev (at index >= since) whose fields hold `fields`."""
        deadline = time.monotonic() + timeout
        i = since
        while True:
            while i < len(self.events):
                e = self.events[i]
                i += 1
                if e.get("ev") == ev and subset(fields, e):
                    return e
            if not self._pump(deadline):
                raise LabError("no %s event %r in %ss; events: %r" %
                               (ev, fields, timeout, self.events[since:][-15:]))

    def wait_ready(self, since=0, timeout=60):
        e = self.wait_event("ready", since=since, timeout=timeout)
        return e

    def drain(self):
        """Reads whatever is already on the line without waiting."""
        self._pump(time.monotonic())


class Proc:
    """A child process under pexpect whose output is drained by a thread (so it never blocks
    on a full pty) and kept for the failure report."""

    def __init__(self, argv, ready, timeout=30, env=None, cwd=None):
        self.argv = argv
        self.child = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", codec_errors="replace",
                                   timeout=timeout, env=env, cwd=cwd, echo=False)
        try:
            self.child.expect(ready)
        except (pexpect.EOF, pexpect.TIMEOUT):
            self.child.close(force=True)  # no process left behind by a failed start
            raise
        self.match = self.child.match
        self.head = self.child.before + self.child.after
        self.tail = []
        self._t = threading.Thread(target=self._drain, daemon=True)
        self._t.start()

    def _drain(self):
        try:
            while True:
                self.tail.append(self.child.read_nonblocking(4096, timeout=None))
        except (pexpect.EOF, pexpect.TIMEOUT, OSError, ValueError):
            pass

    def output(self):
        return self.head + "".join(self.tail)

    def stop(self):
        """SIGTERM, then the exit status (the sim prints its summary on the way out)."""
        if self.child.isalive():
            self.child.kill(15)
        self._t.join(10)
        self.child.close(force=True)
        return self.child.exitstatus


# The shadow delta topic a device subscribes to, per generation (docs/sim.md#generations).
DELTA_TOPIC = {"2.5": "$aws/things/{id}/shadow/update/delta",
               "2.8": "{id}/shadow/update/delta/full",
               "3.3": "{id}/shadow/update/delta/trim"}


def generation(ncs):
    """The generation of an NCS version string ("2.6.1" -> "2.5", "3.0.0" -> "2.8"): topics
    changed in v2.8.0 and v3.3.0 (docs/sim.md#generations)."""
    try:
        major, minor = (int(x) for x in str(ncs).split(".")[:2])
    except ValueError:
        return "3.3"
    if (major, minor) < (2, 8):
        return "2.5"
    if (major, minor) < (3, 3):
        return "2.8"
    return "3.3"


def wait_info(mock, dut):
    """A FOTA job targets devices whose shadow lists the type in serviceInfo.fota_v2 when it is
    created: wait until the device's info sections are stored (a v2.5 device writes them after
    it is ready, later ones in the pairing report)."""
    mock.wait(kind="mqtt.publish", device=dut.id,
              payload={"state": {"reported": {"device": {"serviceInfo": {}}}}})
