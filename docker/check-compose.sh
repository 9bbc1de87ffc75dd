#!/bin/sh
# Checks docker/compose.yaml and the Dockerfile it builds without a Docker engine (CI has none):
# parses the compose file with PyYAML (Debian python3-yaml, from `docker/deps.sh test`) and
# asserts the service, build, ports, health check and data volume; then asserts the Dockerfile's
# runtime stage (bookworm-slim, non-root USER, HEALTHCHECK), that it runs docker/deps.sh and
# docker/build.sh, and that every file it COPYs from the context exists.
#   check-compose.sh [COMPOSE_FILE]   (default: docker/compose.yaml next to this script)
# Prints "compose ok" and exits 0, or prints every problem found and exits 1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
compose=${1:-$here/compose.yaml}
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "check-compose: python3 with PyYAML is needed (apt-get install python3-yaml)" >&2
	exit 1
fi
exec python3 - "$compose" <<'PY'
import glob, json, os, re, sys
import yaml

SERVICE = "nrfcloud-mock"
errors = []

def fail(msg):
    errors.append(msg)

def done():
    if errors:
        for e in errors:
            print("check-compose: " + e, file=sys.stderr)
        print("check-compose: FAILED (%d problem%s)" % (len(errors), "" if len(errors) == 1 else "s"),
              file=sys.stderr)
        sys.exit(1)
    print("compose ok")
    sys.exit(0)

compose_path = os.path.abspath(sys.argv[1])
compose_dir = os.path.dirname(compose_path)
try:
    with open(compose_path) as f:
        doc = yaml.safe_load(f)
except (OSError, yaml.YAMLError) as e:
    fail("cannot read %s: %s" % (compose_path, e))
    done()

svc = ((doc or {}).get("services") or {}).get(SERVICE)
if not isinstance(svc, dict):
    fail("%s: no services.%s" % (compose_path, SERVICE))
    done()

# build: context + dockerfile, the Dockerfile resolved against the context like compose does.
dockerfile = None
context = None
build = svc.get("build")
if not isinstance(build, dict):
    fail("services.%s.build must be a mapping with context and dockerfile" % SERVICE)
else:
    context = os.path.normpath(os.path.join(compose_dir, str(build.get("context", "."))))
    if not os.path.isdir(context):
        fail("build.context %r: %s is not a folder" % (build.get("context"), context))
    if build.get("dockerfile") != "docker/Dockerfile":
        fail("build.dockerfile is %r, expected 'docker/Dockerfile'" % build.get("dockerfile"))
    else:
        dockerfile = os.path.join(context, "docker/Dockerfile")
        if not os.path.isfile(dockerfile):
            fail("build.dockerfile: %s does not exist" % dockerfile)
            dockerfile = None

# ports: the container side of short ("[ip:][host:]container[/proto]") or long (target:) syntax.
def container_ports(entry):
    if isinstance(entry, dict):
        spec = str(entry.get("target", ""))
    else:
        spec = str(entry).split("/")[0].rsplit(":", 1)[-1]
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", spec.strip())
    if not m:
        fail("ports: cannot parse %r" % (entry,))
        return []
    lo = int(m.group(1))
    return list(range(lo, int(m.group(2) or lo) + 1))

published = set()
for entry in svc.get("ports") or []:
    published.update(container_ports(entry))
for port, what in ((8883, "MQTT"), (8443, "HTTPS"), (8080, "admin")):
    if port not in published:
        fail("ports: container port %d (%s) is not published" % (port, what))

# healthcheck: present, not disabled, and probing /health.
hc = svc.get("healthcheck")
if not isinstance(hc, dict) or hc.get("disable"):
    fail("services.%s.healthcheck is missing or disabled" % SERVICE)
else:
    test = hc.get("test")
    text = " ".join(map(str, test)) if isinstance(test, list) else str(test or "")
    if "/health" not in text or text.strip().upper() == "NONE":
        fail("healthcheck.test does not probe /health: %r" % (test,))

# volumes: something mounted at /data; a named volume must be declared at the top level.
data_mount = None
for v in svc.get("volumes") or []:
    if isinstance(v, dict):
        src, target = v.get("source"), v.get("target")
    else:
        parts = str(v).split(":")
        src, target = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
    if target == "/data":
        data_mount = src or "(anonymous)"
if data_mount is None:
    fail("volumes: nothing is mounted at /data")
elif not data_mount.startswith((".", "/", "~", "(")) and data_mount not in (doc.get("volumes") or {}):
    fail("volumes: named volume %r is not declared under top-level volumes:" % data_mount)

# Dockerfile: join continuation lines, split into instructions and stages.
if dockerfile:
    with open(dockerfile) as f:
        raw = f.read()
    logical, cur = [], ""
    for line in raw.splitlines():
        s = line.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        if cur and s.startswith("#"):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        logical.append(cur + s)
        cur = ""
    if cur:
        logical.append(cur)
    instrs = []
    for l in logical:
        word, _, rest = l.partition(" ")
        instrs.append((word.upper(), rest.strip()))
    stages = []
    for word, rest in instrs:
        if word == "FROM":
            stages.append({"from": rest, "instrs": []})
        elif stages:
            stages[-1]["instrs"].append((word, rest))
    if not stages:
        fail("%s: no FROM" % dockerfile)
    else:
        final = stages[-1]
        image = final["from"].split()
        image = [w for w in image if not w.startswith("--")]
        if not image or image[0] != "debian:bookworm-slim":
            fail("Dockerfile: the runtime (last) stage is FROM %r, expected debian:bookworm-slim"
                 % final["from"])
        users = [r for w, r in final["instrs"] if w == "USER"]
        if not users:
            fail("Dockerfile: the runtime stage has no USER (it would run as root)")
        elif users[-1].split(":")[0] in ("root", "0"):
            fail("Dockerfile: the runtime stage's USER is %r (root)" % users[-1])
        hcs = [r for w, r in final["instrs"] if w == "HEALTHCHECK"]
        if not hcs or hcs[-1].upper() == "NONE":
            fail("Dockerfile: the runtime stage has no HEALTHCHECK")
        elif "/health" not in hcs[-1]:
            fail("Dockerfile: HEALTHCHECK does not probe /health: %r" % hcs[-1])
    runs = [r for w, r in instrs if w == "RUN"]
    for script in ("docker/deps.sh", "docker/build.sh"):
        if not any(re.search(r"(^|[\s/])" + re.escape(script) + r"\b", r) for r in runs):
            fail("Dockerfile: no RUN runs %s" % script)
        if context and not os.path.isfile(os.path.join(context, script)):
            fail("%s does not exist in the build context %s" % (script, context))
    # Every COPY from the context (not --from=) must name something that exists there.
    for w, r in instrs:
        if w not in ("COPY", "ADD") or context is None:
            continue
        if r.startswith("["):
            try:
                args = json.loads(r)
            except ValueError:
                fail("Dockerfile: cannot parse %s %s" % (w, r))
                continue
        else:
            args = r.split()
        if any(a.startswith("--from") for a in args):
            continue
        srcs = [a for a in args if not a.startswith("--")][:-1]
        for src in srcs:
            if re.match(r"[a-z]+://", src):
                continue
            if not glob.glob(os.path.join(context, src)):
                fail("Dockerfile: %s source %r does not exist in the build context %s"
                     % (w, src, context))
done()
PY
