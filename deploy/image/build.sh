#!/usr/bin/env bash
# Builds the eoscope container image tarball with no registry and no Docker daemon: the base from
# Debian packages (build-base.sh, kept in target/image and reused; --rebuild-base redoes it), then
# Jib (`mvn -Pimage ... package`, goal buildTar) on top of it. Writes launcher/target/eoscope-image.tar.
#
#   deploy/image/build.sh [--rebuild-base] [more Maven arguments, e.g. -Dimage.tag=dev]
#
# Needs root and debootstrap the first time (see build-base.sh). With registry access, the plain
# `mvn -Pimage -pl launcher -am package -DskipTests` builds on eclipse-temurin:17-jre instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
base=target/image/eoscope-base.tar
if [ "${1:-}" = --rebuild-base ]; then shift; rm -f "$base"; fi
[ -f "$base" ] || deploy/image/build-base.sh "$base"
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
start=$SECONDS
# (Debian's Maven 3.8 prints colour resets even with -B: strip them)
if ! mvn -q -B -ntp -Pimage -pl launcher -am package -DskipTests \
  -Dimage.base="tar://$PWD/$base" -Djib.baseImageCache="$PWD/target/jib-base-cache" \
  -Djib.disableUpdateChecks=true "$@" 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g'; then
  echo "build.sh: the image build failed (see the Maven output above)" >&2
  exit 1
fi
echo "build.sh: wrote launcher/target/eoscope-image.tar ($(du -m launcher/target/eoscope-image.tar | cut -f1) MiB) in $((SECONDS - start)) s" >&2
