#!/usr/bin/env bash
# Builds the eoscope image's base without a container registry or a Docker daemon: a Debian 12
# (bookworm) minbase root filesystem from the machine's own Debian mirror (debootstrap), with
# OpenJDK 17's headless JRE and the non-root user eos (uid/gid 10001), packed as a one-layer
# `docker save` tarball that Jib takes as its base image (`-Dimage.base=tar:///abs/path`).
#
#   deploy/image/build-base.sh [OUT.tar]        (default target/image/eoscope-base.tar)
#
# Needs root (debootstrap runs the packages' maintainer scripts in a chroot), debootstrap and tar.
# EOS_DEBIAN_MIRROR overrides the mirror read from /etc/apt/sources.list*.
# libtorch needs nothing beyond libc, libstdc++ and libgcc_s (it brings its own libgomp).
set -euo pipefail

out=${1:-target/image/eoscope-base.tar}
suite=bookworm
uid=10001

mirror() {
  # the first http(s) URI of a Debian (not security) source, deb822 or one-line format
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' | grep -E '^https?://' | grep -v -e security -e nodesource -e google | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" && $2 ~ /^https?:/ {print $2}' | grep -v -e security -e nodesource -e google | head -n1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

[ "$(id -u)" = 0 ] || { echo "build-base.sh: needs root (debootstrap)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "build-base.sh: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
work=$(mktemp -d "$(dirname "$out")/base.XXXXXX")
mounted() { awk -v w="$work/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r; }
cleanup() {
  # never delete through a mount that a failed debootstrap might have left (/dev, /proc, /sys)
  local m
  for m in $(mounted); do umount -l "$m" || true; done
  if [ -n "$(mounted)" ]; then echo "build-base.sh: left $work (still mounted)" >&2; else rm -rf --one-file-system "$work"; fi
}
trap cleanup EXIT
root=$work/rootfs
m=${EOS_DEBIAN_MIRROR:-$(mirror)}
# debootstrap downloads with wget, which reads http_proxy, not apt's configuration
if [ -z "${http_proxy:-}" ]; then
  eval "$(apt-config shell http_proxy Acquire::http::Proxy 2>/dev/null || true)"
  [ -z "${http_proxy:-}" ] || export http_proxy
fi

echo "build-base.sh: debootstrap $suite from $m" >&2
start=$SECONDS
debootstrap --variant=minbase --include=openjdk-17-jre-headless "$suite" "$root" "$m" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; echo "build-base.sh: debootstrap failed" >&2; exit 1; }

# what a container never needs: downloaded packages, package lists, docs, logs, device nodes (the
# runtime mounts /dev, /proc, /sys) and what the maintainer scripts left in /tmp (a JVM's hsperfdata)
rm -rf "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/cache/apt/*.bin "${root:?}"/var/lib/apt/lists/* \
  "${root:?}"/usr/share/doc/* "${root:?}"/usr/share/man/* "${root:?}"/usr/share/info/* "${root:?}"/usr/share/locale/* \
  "${root:?}"/var/log/* "${root:?}"/var/cache/debconf/*-old "${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/* \
  "${root:?}"/tmp/* "${root:?}"/tmp/.[!.]* "${root:?}"/var/tmp/* \
  "${root:?}"/etc/machine-id "${root:?}"/etc/hostname "${root:?}"/etc/resolv.conf
# the service user: home is /tmp, the one writable place when the root filesystem is read-only
echo "eos:x:$uid:$uid:eoscope:/tmp:/usr/sbin/nologin" >>"$root/etc/passwd"
echo "eos:x:$uid:" >>"$root/etc/group"
echo "eos:!:19000::::::" >>"$root/etc/shadow"

java_bin=$(readlink -f "$root/usr/bin/java")
java_home=${java_bin#"$root"}
java_home=${java_home%/bin/java}
[ -x "$root$java_home/bin/java" ] || { echo "build-base.sh: no java in the root filesystem" >&2; exit 1; }

# one reproducibly ordered layer; numeric owners, clamped times
mkdir -p "$work/tar"
epoch=${SOURCE_DATE_EPOCH:-$(date -d 2026-11-27T00:00:00Z +%s)}
# shellcheck disable=SC2046
tar -C "$root" --sort=name --numeric-owner --mtime="@$epoch" --clamp-mtime \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -cf "$work/layer.tar" $(cd "$root" && ls -A)
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir -p "$work/tar/$diff_id"
mv "$work/layer.tar" "$work/tar/$diff_id/layer.tar"

config=$(printf '{"architecture":"amd64","os":"linux","created":"%s","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=%s","LANG=C.UTF-8"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"deploy/image/build-base.sh: debootstrap --variant=minbase --include=openjdk-17-jre-headless %s; user eos %s"}]}' \
  "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" "$java_home" "$diff_id" "$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" "$suite" "$uid")
config_id=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
printf '%s' "$config" >"$work/tar/$config_id.json"
printf '[{"Config":"%s.json","RepoTags":["eoscope-base:%s-jre17"],"Layers":["%s/layer.tar"]}]' \
  "$config_id" "$suite" "$diff_id" >"$work/tar/manifest.json"
tar -C "$work/tar" --sort=name --numeric-owner --owner=0 --group=0 --mtime="@$epoch" \
  -cf "$out.part" manifest.json "$config_id.json" "$diff_id"
mv "$out.part" "$out"
echo "build-base.sh: wrote $out ($(du -m "$out" | cut -f1) MiB, java at $java_home) in $((SECONDS - start)) s" >&2
