#!/bin/sh
# Makes sure the engine has the two base images docker/Dockerfile starts from, debian:bookworm
# (build stage) and debian:bookworm-slim (runtime stage): each one the engine already has is
# kept, each one `docker pull` brings is taken; the rest are built here from Debian packages,
# for machines that reach Debian's package mirror but no image registry:
#   debootstrap --variant=minbase bookworm, from the mirror apt on this host already uses (read
#   from apt's own configuration at run time, so no host name is written anywhere), with the
#   bookworm, bookworm-updates and bookworm-security suites apt knows; then `docker import`.
# The slim image is the same tree without documentation, manual pages and translations, and
# with a dpkg filter that keeps them out of packages installed later, as Debian's -slim images do.
#   base-images.sh            (as root; needs debootstrap: docker/deps.sh docker)
#   MIRROR=URL base-images.sh  use this mirror instead of apt's
# Exit status 0 when both images are there afterwards.
set -eu
docker=${DOCKER:-docker}
suite=bookworm

have() { "$docker" image inspect "$1" >/dev/null 2>&1; }

missing=
for tag in bookworm bookworm-slim; do
	have "debian:$tag" && continue
	if "$docker" pull -q "debian:$tag" >/dev/null 2>&1; then
		echo "base-images: pulled debian:$tag"
	else
		missing="$missing $tag"
	fi
done
[ -n "$missing" ] || exit 0

if ! command -v debootstrap >/dev/null 2>&1; then
	echo "base-images: cannot pull debian:${missing# } and debootstrap is not installed" \
		"(apt-get install debootstrap, or sh docker/deps.sh docker)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "base-images: debootstrap needs root to build debian:${missing# }" >&2
	exit 1
fi

# "<uri> <suite>/main" for each bookworm suite apt has a package list of, e.g. the lines of
# `apt-cache policy` such as " 500 <uri> bookworm-updates/main amd64 Packages".
suites() {
	apt-cache policy 2>/dev/null |
		awk -v s="$suite" '$3 ~ "^" s "(-updates|-security)?/main$" { print $2, $3 }' | sort -u
}
list=$(suites)
if [ -z "$list" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	list=$(suites)
fi
mirror=${MIRROR:-$(echo "$list" | awk -v s="$suite/main" '$2 == s { print $1; exit }')}
if [ -z "$mirror" ]; then
	echo "base-images: apt on this host knows no mirror for $suite main; set MIRROR=URL" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ncm-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
echo "base-images: debootstrap --variant=minbase $suite (debian:${missing# } could not be pulled)"
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
	tail -n 20 "$work/debootstrap.log" >&2
	echo "base-images: debootstrap failed (full log above)" >&2
	exit 1
fi

# The image's apt sources: the same suites as this host's apt, the main mirror when the host
# knows only bookworm itself.
{
	if [ -n "${MIRROR:-}" ]; then
		echo "deb $MIRROR $suite main"
	else
		echo "$list" | while read -r uri what; do echo "deb $uri ${what%/main} main"; done
	fi
} >"$root/etc/apt/sources.list"
# As in Debian's images: no package lists or downloaded packages in the image.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
	"$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/root/.cache
: >"$root/etc/hostname"

import_as() { # import TAG
	tar -C "$root" --numeric-owner -cf - . |
		"$docker" import --change 'CMD ["bash"]' --message "debootstrap $suite" - "debian:$1" >/dev/null
	echo "base-images: imported debian:$1 ($(du -sh "$root" | cut -f1))"
}

case " $missing " in *" bookworm "*) import_as bookworm ;; esac
case " $missing " in *" bookworm-slim "*)
	cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<-'EOF'
	# Slim image: dpkg leaves out documentation (but copyrights), manual pages and translations.
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/lintian/*
	path-exclude /usr/share/locale/*
	EOF
	find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
	find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
	rm -rf "$root"/usr/share/man/* "$root"/usr/share/groff/* "$root"/usr/share/info/* \
		"$root"/usr/share/lintian/* "$root"/usr/share/locale/*
	import_as bookworm-slim
	;;
esac
