#!/bin/sh
# The image's library check (docker/Dockerfile runs it in the runtime stage, docker/test-image.sh
# proves it fails): ldd of the CLI, of Mosquitto, of the plugin and of nrfcloud-mock-client, wherever
# meson's libdir put them (/usr/lib64/nrfcloud-mock/ or /usr/lib/<multiarch>/nrfcloud-mock/). Exit
# status 1, naming each missing library, when the runtime packages (docker/deps.sh runtime) lack
# one, or when no plugin or no client is installed at all.
set -eu
plugins=$(find /usr/lib /usr/lib64 /usr/local/lib /usr/local/lib64 -path '*/nrfcloud-mock/*.so' \
	2>/dev/null || true)
if [ -z "$plugins" ]; then
	echo "library check: no nrfcloud-mock plugin (*/nrfcloud-mock/*.so) is installed" >&2
	exit 1
fi
# the program behind `nrfcloud-mock replay`, `provision` and `sim`, beside the plugin
clients=$(find /usr/lib /usr/lib64 /usr/local/lib /usr/local/lib64 \
	-path '*/nrfcloud-mock/nrfcloud-mock-client' 2>/dev/null || true)
if [ -z "$clients" ]; then
	echo "library check: no nrfcloud-mock-client (*/nrfcloud-mock/nrfcloud-mock-client) is" \
		"installed" >&2
	exit 1
fi
bad=0
for f in /usr/bin/nrfcloud-mock /usr/sbin/mosquitto $plugins $clients; do
	if ! out=$(ldd "$f" 2>&1); then
		echo "library check: ldd $f failed: $out" >&2
		exit 1
	fi
	missing=$(echo "$out" | awk '/not found/ { print $1 }' | tr '\n' ' ')
	if [ -n "$missing" ]; then
		echo "library check: $f needs ${missing% } that no runtime package provides" \
			"(add it to docker/deps.sh runtime)" >&2
		bad=1
	else
		echo "library check: $f ok"
	fi
done
exit $bad
