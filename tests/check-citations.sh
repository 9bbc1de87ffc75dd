#!/bin/sh
# SPDX-License-Identifier: MIT
# check-citations.sh [SOURCE_DIR]: every citation in the repository resolves inside it
# (docs/development.md#citations). Fails on
#   - a cited repository path (docs/..., server/..., tests/..., bench/..., fuzz/..., fixtures/...,
#     docker/..., tools/..., device/..., certs/...) that does not exist;
#   - a #section of a cited Markdown page, or of a relative Markdown link, that no heading of
#     that page has (GitHub's anchors: lower case, punctuation dropped, spaces to '-', repeats
#     numbered -1, -2, ...);
#   - a citation of the design notes that live outside the repository.
# Paths in fenced code blocks of Markdown files are commands, not citations, and are skipped;
# so are templates such as rest_<resource>.c or fuzz/corpus/*.
set -eu
# Under `meson test --setup=valgrind` this first process is the one valgrind watches, and dash
# itself leaks a little; a new program image is not traced, so the check runs in one.
if [ -z "${NCM_CITATIONS_EXEC:-}" ]; then
	NCM_CITATIONS_EXEC=1 exec /bin/sh "$0" "$@"
fi
src=${1:-$(dirname "$0")/..}
cd "$src"

# Pages other branches are adding; a link to one is accepted while it is missing (and checked
# once it exists). Remove a name here when its page has landed.
pending=""

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

ingit=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	ingit=1
	git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done >"$tmp/files"
else
	find . -path ./.git -prune -o -path './build*' -prune -o -type f -print |
		sed 's|^\./||' >"$tmp/files"
fi
# text files only
tr '\n' '\0' <"$tmp/files" | xargs -0 grep -Il '' >"$tmp/text" 2>/dev/null || true
printf '%s\n' $pending >"$tmp/pending"

status=0

# 1. Notes outside the repository.
self=tests/check-citations.sh
notes='(^|[^a-z/])spec/(mqtt|rest|device|platform)\.md|(^|[^a-z_/-])design\.md|\.\./shared|shared/style\.md'
grep -v -x -F "$self" "$tmp/text" | tr '\n' '\0' |
	xargs -0 grep -n -E "$notes" >"$tmp/notes" 2>/dev/null || true
if [ -s "$tmp/notes" ]; then
	echo "check-citations: cites notes that are not in the repository (cite docs/ or a public source):" >&2
	cat "$tmp/notes" >&2
	status=1
fi

# 2. Headings of every Markdown file, as file#anchor lines.
grep '\.md$' "$tmp/text" | tr '\n' '\0' | xargs -0 awk '
FNR == 1 { fence = 0; delete seen }
/^[ \t]*(```|~~~)/ { fence = !fence; next }
fence { next }
/^#+[ \t]/ {
	h = $0
	sub(/^#+[ \t]+/, "", h)
	sub(/[ \t]+#*[ \t]*$/, "", h)
	h = tolower(h)
	gsub(/[^a-z0-9 _-]/, "", h)   # GitHub keeps letters, digits, spaces, - and _
	gsub(/ /, "-", h)
	a = h
	if (h in seen) a = h "-" seen[h]
	seen[h]++
	print FILENAME "#" a
}' >"$tmp/anchors" 2>/dev/null || true

# 3. Every cited path and anchor.
tr '\n' '\0' <"$tmp/text" | xargs -0 awk -v files="$tmp/files" -v anchors="$tmp/anchors" \
	-v pending="$tmp/pending" -v self="$self" -v ingit="$ingit" '
BEGIN {
	while ((getline f < files) > 0) {
		exists[f] = 1
		d = f
		while (sub(/\/[^\/]*$/, "", d)) exists[d] = 1
	}
	while ((getline a < anchors) > 0) anchor[a] = 1
	while ((getline p < pending) > 0) waiting[p] = 1
	bad = 0
}
function dirname(p) { if (p !~ /\//) return ""; sub(/\/[^\/]*$/, "", p); return p }
# "a/b/../c" -> "a/c", "./x" -> "x"
function normal(p,    n, i, parts, out, k) {
	n = split(p, parts, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "" || parts[i] == ".") continue
		if (parts[i] == ".." && k > 0) { k--; continue }
		out[++k] = parts[i]
	}
	p = ""
	for (i = 1; i <= k; i++) p = p (i > 1 ? "/" : "") out[i]
	return p
}
function report(what) {
	printf "%s:%d: %s\n", FILENAME, FNR, what > "/dev/stderr"
	bad = 1
}
function check(path, frag,    p) {
	p = path
	sub(/\/$/, "", p)
	if (!(p in exists)) {
		if (p in waiting) return
		# a name without an extension or a trailing / is a build output or a command
		# (bench/range_load, the syntax line of a Dockerfile), not a citation
		if (path !~ /\/$/ && p !~ /\.[A-Za-z0-9]+$/) return
		# a file git is told to ignore is generated (certs/ca.pem from `ca export`), not missing
		if (ingit && system("git check-ignore -q \"" path "\"") == 0) return
		report("no such file in the repository: " path)
		return
	}
	if (frag != "" && p ~ /\.md$/ && !((p "#" frag) in anchor))
		report("no section #" frag " in " p)
}
FILENAME == self { nextfile }
FNR == 1 { fence = 0; md = (FILENAME ~ /\.md$/) }
md && /^[ \t]*(```|~~~)/ { fence = !fence; next }
md && fence { next }
{
	line = $0
	# repository paths written out: docs/x.md#anchor, server/core/acl.c, tests/data/
	rest = line
	while (match(rest, /(^|[^A-Za-z0-9_.\/~-])(docs|server|tests|bench|fuzz|fixtures|docker|tools|device|certs)\/[A-Za-z0-9_.\/-]*(#[A-Za-z0-9_-]+)?/)) {
		tok = substr(rest, RSTART, RLENGTH)
		after = substr(rest, RSTART + RLENGTH, 1)
		rest = substr(rest, RSTART + RLENGTH)
		sub(/^[^A-Za-z]/, "", tok)
		if (after ~ /[<*{…]/) continue          # a template, not a path
		frag = ""
		if (index(tok, "#")) { frag = substr(tok, index(tok, "#") + 1); tok = substr(tok, 1, index(tok, "#") - 1) }
		sub(/[.]+$/, "", tok)
		if (tok ~ /\/\.\.?(\/|$)/) continue
		check(tok, frag)
	}
	# Markdown links: [text](target), relative to the file
	if (!md) next
	rest = line
	while (match(rest, /\]\([^) \t]+\)/)) {
		t = substr(rest, RSTART + 2, RLENGTH - 3)
		rest = substr(rest, RSTART + RLENGTH)
		if (t ~ /^[a-z]+:/) continue            # http:, https:, mailto:
		frag = ""
		if (index(t, "#")) { frag = substr(t, index(t, "#") + 1); t = substr(t, 1, index(t, "#") - 1) }
		if (t == "") t = FILENAME
		else t = normal((dirname(FILENAME) == "" ? "" : dirname(FILENAME) "/") t)
		check(t, frag)
	}
}
END { exit bad }' || status=1

if [ "$status" = 0 ]; then
	echo "check-citations: every citation resolves"
fi
exit "$status"
