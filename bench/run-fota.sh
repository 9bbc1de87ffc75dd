#!/bin/sh
# FOTA download benchmark: how fast nrfcloud-mock hands out a firmware image the way nRF91
# firmware fetches it (docs/fota.md#image-download: HTTP/1.1 Range requests of 1700 bytes over one
# keep-alive TLS connection), beside nginx serving the same file with the same certificate on
# the same machine. A 1 MiB random image is uploaded as a bundle (a stored ZIP written here, its
# CRC-32 taken from gzip), then bench/range_load downloads it from each server in turn, ROUNDS
# times, checking every 206 and the SHA-256 of each pass; each round's ratio, their median and
# range, and requests per CPU-second of each server (what load on the machine disturbs least)
# are printed. Loopback only.
# Usage: sh bench/run-fota.sh [ROUNDS] [FRAGMENT]  (a round: one pass from each server)
set -eu
cd "$(dirname "$0")/.."
passes=${1:-5}   # rounds
fragment=${2:-1700}
size=1048576
. bench/lib.sh

if ! command -v nginx >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ]; then
		apt-get install -y nginx >/dev/null
	else
		sudo apt-get install -y nginx >/dev/null
	fi
fi
nginx_bin=$(command -v nginx)

bench_build

npid=
bench_server_with "npid"
port=$https_port
key=$api_key

# ---- the bundle: manifest.json and app.bin, both stored, in a ZIP written byte by byte ----
le16() { printf "$(printf '\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)))"; }
le32() {
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"
}
# CRC-32 of a file: the first 4 bytes of gzip's trailer, little-endian
crc32() {
	gzip -c -n "$1" | tail -c 8 | od -An -tu1 -N4 |
		awk '{printf "%.0f\n", $1 + $2 * 256 + $3 * 65536 + $4 * 16777216}'
}
# local_header NAME FILE: the local file header and data of a stored entry
local_entry() {
	n=$(wc -c <"$2")
	le32 $((0x04034b50)); le16 20; le16 0; le16 0; le16 0; le16 33
	le32 "$(crc32 "$2")"; le32 "$n"; le32 "$n"; le16 ${#1}; le16 0
	printf '%s' "$1"
	cat "$2"
}
# central_entry NAME FILE OFFSET
central_entry() {
	n=$(wc -c <"$2")
	le32 $((0x02014b50)); le16 20; le16 20; le16 0; le16 0; le16 0; le16 33
	le32 "$(crc32 "$2")"; le32 "$n"; le32 "$n"; le16 ${#1}; le16 0; le16 0; le16 0; le16 0
	le32 0; le32 "$3"
	printf '%s' "$1"
}
head -c "$size" /dev/urandom >"$tmp/app.bin"
printf '{"name":"bench","fwversion":"1.0.0","format-version":1,"files":[{"file":"app.bin","type":"application","size":%d}]}' \
	"$size" >"$tmp/manifest.json"
local_entry manifest.json "$tmp/manifest.json" >"$tmp/bundle.zip"
off2=$(wc -c <"$tmp/bundle.zip")
local_entry app.bin "$tmp/app.bin" >>"$tmp/bundle.zip"
cd_off=$(wc -c <"$tmp/bundle.zip")
central_entry manifest.json "$tmp/manifest.json" 0 >>"$tmp/bundle.zip"
central_entry app.bin "$tmp/app.bin" "$off2" >>"$tmp/bundle.zip"
cd_end=$(wc -c <"$tmp/bundle.zip")
{ le32 $((0x06054b50)); le16 0; le16 0; le16 2; le16 2; le32 $((cd_end - cd_off))
  le32 "$cd_off"; le16 0; } >>"$tmp/bundle.zip"
sha=$(sha256sum "$tmp/app.bin" | awk '{print $1}')

answer=$(curl -sS --cacert "$ca" -H "Authorization: Bearer $key" \
	-H 'Content-Type: application/zip' --data-binary "@$tmp/bundle.zip" \
	-w ' %{http_code}' "https://localhost:$port/v1/firmwares")
case "$answer" in
*' 202') ;;
*) echo "upload refused: $answer" >&2; exit 1 ;;
esac
# https://<fota host>:<port>/<tenant>/<bundleId>/app.bin → /<tenant>/<bundleId>/app.bin
path=$(printf '%s' "$answer" | sed -n 's|.*"https://[^/]*\(/[^"]*\)".*|\1|p')
[ -n "$path" ] || { echo "no URI in $answer" >&2; exit 1; }

# ---- nginx on a free loopback port, serving <data>/firmware with the mock's certificate ----
start_nginx() {
	bench_nginx_conf "$1" "$data/firmware" 64 application/octet-stream "sendfile on;"
	"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" \
		-g 'daemon off;' 2>>"$tmp/nginx/stderr" &
	npid=$!
	i=0
	while [ $i -lt 100 ]; do
		kill -0 "$npid" 2>/dev/null || { wait "$npid" 2>/dev/null || true; npid=; return 1; }
		curl -s -o /dev/null --cacert "$ca" -r 0-0 "https://localhost:$1$path" && return 0
		i=$((i + 1))
		sleep 0.05
	done
	return 1
}
nport=
for try in 1 2 3 4 5 6 7 8 9 10; do
	candidate=$(awk -v t="$try" 'BEGIN { srand(); print 20000 + int(rand() * 40000) + t }')
	if start_nginx "$candidate"; then
		nport=$candidate
		break
	fi
done
[ -n "$nport" ] || { echo "nginx did not start" >&2; cat "$tmp/nginx/stderr" \
	"$tmp/nginx/error.log" >&2 2>/dev/null; exit 1; }

# ---- the same downloads from each, interleaved: a round is one pass from the mock, then one
# from nginx, each over a new keep-alive connection; machine noise hits both alike ----
load="$build/bench/range_load"
mock_url="https://localhost:$port$path"
nginx_url="https://localhost:$nport$path"
"$load" "$mock_url" "$ca" "$fragment" 1 "$sha" >/dev/null   # warm-up
"$load" "$nginx_url" "$ca" "$fragment" 1 "$sha" >/dev/null
nworker=$(pgrep -P "$npid" | head -1)   # nginx's one worker: its CPU time is nginx's work
field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, clock ticks
version=$("$nginx_bin" -v 2>&1 | sed 's|.*/||')
printf 'FOTA image download: %d bytes in %d-byte ranges, %d rounds of one pass from each server\n' \
	"$size" "$fragment" "$passes"
printf '%-28s %10s %10s %8s\n' "round" "mock req/s" "nginx req/s" "ratio"
mt=0; nt=0; mreq=0; nreq=0; ratios=
r=1
while [ $r -le "$passes" ]; do
	t0=$(ticks "$pid")
	m=$("$load" "$mock_url" "$ca" "$fragment" 1 "$sha")
	t1=$(ticks "$pid")
	n0=$(ticks "$nworker")
	n=$("$load" "$nginx_url" "$ca" "$fragment" 1 "$sha")
	n1=$(ticks "$nworker")
	mt=$((mt + t1 - t0)); nt=$((nt + n1 - n0))
	mreq=$((mreq + $(field "$m" requests))); nreq=$((nreq + $(field "$n" requests)))
	q=$(awk -v a="$(field "$m" rps)" -v b="$(field "$n" rps)" 'BEGIN {printf "%.2f", a / b}')
	ratios="$ratios $q"
	printf '%-28s %10s %10s %8s\n' "$r" "$(field "$m" rps)" "$(field "$n" rps)" "$q"
	r=$((r + 1))
done
printf '%s\n' $ratios | sort -n | awk '{v[NR] = $1} END {
	printf "%-28s %10s %10s %8.2f (range %.2f-%.2f)\n", "median ratio", "", "", \
		(NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
hz=$(getconf CLK_TCK)
awk -v a="$mreq" -v b="$mt" -v c="$nreq" -v d="$nt" -v hz="$hz" 'BEGIN {
	x = (b > 0 ? a * hz / b : 0); y = (d > 0 ? c * hz / d : 0)
	printf "%-28s %10.0f %10.0f %8.2f\n", "requests per server CPU-s", x, y, (y > 0 ? x / y : 0) }'
echo "(nginx $version, one worker; $(nproc) cores, loopback, TLS certificate of the mock's lab CA on"
echo " both; CPU-s: utime + stime of the mock's process and of nginx's worker over all rounds)"
