#!/bin/sh
# Builds and installs nrfcloud-mock (release, integration tests off) from the source folder this
# is run in. Shared by docker/Dockerfile (build stage), the README's Quick start and CI, so CI
# proves the image's build step.
#   BUILD_DIR  build folder (default build-release; an existing one is reconfigured, not wiped)
#   PREFIX     install prefix (default /usr: the CLI then finds the plugin and fixtures itself)
#   DESTDIR    staging root for `meson install` (default empty: install into the system)
#   INSTALL    "no" builds only: run ./$BUILD_DIR/nrfcloud-mock from the source folder
# Example: DESTDIR=/tmp/stage BUILD_DIR=/tmp/build-release sh docker/build.sh
set -eu
build_dir=${BUILD_DIR:-build-release}
prefix=${PREFIX:-/usr}
if [ ! -f meson.build ] || [ ! -f meson_options.txt ]; then
	echo "build.sh: run me from the nrfcloud-mock source folder (no meson.build in $(pwd))" >&2
	exit 2
fi
# A folder meson has already configured is reconfigured with the same options; anything else is
# set up fresh (meson refuses --reconfigure on a folder it never configured).
reconfigure=
[ -f "$build_dir/meson-private/coredata.dat" ] && reconfigure=--reconfigure
# shellcheck disable=SC2086
meson setup $reconfigure "$build_dir" --buildtype=release --prefix="$prefix" -Dintegration=false
ninja -C "$build_dir"
[ "${INSTALL:-yes}" = no ] || DESTDIR="${DESTDIR:-}" meson install -C "$build_dir"
