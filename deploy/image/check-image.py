#!/usr/bin/env python3
"""Tests an eoscope image tarball (what `jib:buildTar` writes) without a container runtime.

    deploy/image/check-image.py IMAGE.tar [--run DIR [--keep]]

Always: reads the image configuration and the layers and checks that the image runs as a non-root
user (10001), that its entry point is `java ... io.eoscope.launcher.Eos` with DJL kept offline, that
its environment holds DJL_OFFLINE, OPT_OUT_TRACKING and DJL_CACHE_DIR, that it exposes 8080 and
9404, and that the layers hold a java binary, the launcher jar and every jar of the class path.

With --run DIR (root, allowed to mount): unpacks the layers into DIR/rootfs, as a runtime would,
and runs the entry point there with the image's user, environment and working directory (chroot
--userspec), as the Helm chart runs it: the root filesystem mounted read-only, DIR/tmp mounted at
/tmp, the host's /dev and a new /proc:
`eos --help`, `eos analyzer|gateway|trainer --help`, `eos analyze` on the bundled XOR model, whose
JSON it checks against the same analysis by the launcher built on the host (libtorch loads from
the image, offline, as uid 10001), and a short `eos demo --exit-when-done` (an embedded Kafka broker,
a trainer, two analyzers and the gateway). DIR (about 900 MB once libtorch is unpacked)
is removed afterwards unless --keep.

Exit status 0 when every check passes; 1 with one line per failed check otherwise.
"""
import argparse
import errno
import gzip
import io
import json
import os
import posixpath
import shutil
import subprocess
import sys
import tarfile
import time

MAIN_CLASS = "io.eoscope.launcher.Eos"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def read_image(path):
    """The image config (dict) and its layer blobs (list of member names), docker-save or OCI layout."""
    outer = tarfile.open(path)
    names = set(outer.getnames())

    def blob(name):
        return outer.extractfile(name).read()

    if "manifest.json" in names:
        manifest = json.loads(blob("manifest.json"))[0]
        return outer, json.loads(blob(manifest["Config"])), manifest["Layers"]
    index = json.loads(blob("index.json"))
    mdesc = index["manifests"][0]["digest"].replace(":", "/")
    manifest = json.loads(blob("blobs/" + mdesc))
    config = json.loads(blob("blobs/" + manifest["config"]["digest"].replace(":", "/")))
    return outer, config, ["blobs/" + l["digest"].replace(":", "/") for l in manifest["layers"]]


def layer_entries(outer, name):
    data = outer.extractfile(name).read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(data)) as layer:
        for m in layer.getmembers():
            yield m, (layer.extractfile(m).read() if m.isfile() and m.size < 1 << 20 else None)


def resolve(files, links, path, depth=0):
    """Follows symbolic links through the union of the layers; the final path or None."""
    path = posixpath.normpath(path).lstrip("/")
    if depth > 20:
        return None
    parts = path.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if prefix in links:
            target = links[prefix]
            base = "" if target.startswith("/") else posixpath.dirname(prefix)
            rest = "/".join(parts[i:])
            return resolve(files, links, posixpath.join("/", base, target, rest), depth + 1)
    return path if path in files else None


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return {}


def static_checks(outer, config, layers):
    c = config.get("config", {})
    user = c.get("User", "")
    check(user.split(":")[0] == "10001" and user.split(":")[-1] == "10001", f"user is 10001:10001 (non-root): {user!r}")
    entry = c.get("Entrypoint") or []
    check(bool(entry) and posixpath.basename(entry[0]) == "java", f"entry point starts with java: {entry[:1]}")
    check(entry[-1:] == [MAIN_CLASS], f"entry point runs {MAIN_CLASS}")
    check("-Dai.djl.offline=true" in entry, "entry point passes -Dai.djl.offline=true")
    env = dict(e.split("=", 1) for e in c.get("Env", []))
    for key, value in (("DJL_OFFLINE", "true"), ("OPT_OUT_TRACKING", "true"), ("DJL_CACHE_DIR", "/tmp/djl")):
        check(env.get(key) == value, f"environment {key}={value} (is {env.get(key)!r})")
    ports = set(c.get("ExposedPorts", {}))
    check({"8080/tcp", "9404/tcp"} <= ports, f"exposes 8080 and 9404: {sorted(ports)}")

    files, links, small = set(), {}, {}
    for name in layers:
        for m, data in layer_entries(outer, name):
            path = posixpath.normpath(m.name).lstrip("/")
            if posixpath.basename(path).startswith(".wh."):
                check(False, f"whiteout {path} (this checker does not apply whiteouts)")
            if m.issym():
                links[path] = m.linkname
            elif m.islnk():
                files.add(path)
            elif m.isfile():
                files.add(path)
                links.pop(path, None)
                if data is not None:
                    small[path] = data
    java = None
    for d in env.get("PATH", "").split(":"):
        java = java or resolve(files, links, posixpath.join(d, entry[0] if entry else "java"))
    check(java is not None, f"a java binary on the image's PATH: {java}")
    check("app/classpath/eoscope-launcher.jar" in files, "the launcher jar /app/classpath/eoscope-launcher.jar")
    libs = {posixpath.basename(f) for f in files if f.startswith("app/libs/")}
    for prefix in ("eoscope-curvature-", "eoscope-analyzer-", "eoscope-gateway-", "eoscope-broker-", "eoscope-reproduce-",
                   "picocli-", "pytorch-engine-",
                   "pytorch-native-cpu-", "kafka-clients-", "vertx-core-"):
        check(any(l.startswith(prefix) for l in libs), f"dependency jar {prefix}*.jar in /app/libs")
    cp_arg = entry[entry.index("-cp") + 1] if "-cp" in entry else ""
    if cp_arg.startswith("@"):
        cp_arg = small.get(cp_arg[1:].lstrip("/"), b"").decode().strip()
    cp = [p for p in cp_arg.split(":") if p]
    def present(p):  # a class-path entry; a directory wildcard must match at least one jar
        if p.endswith("/*"):
            d = p[:-1].lstrip("/")
            return any(f.startswith(d) and f.endswith(".jar") for f in files)
        return resolve(files, links, p) is not None

    missing = [p for p in cp if not present(p)]
    check(len(cp) > 10 and not missing, f"every class-path entry is in the layers ({len(cp)} entries, missing {missing[:3]})")
    return c, env


def run_checks(outer, config, layers, c, env, work, keep):
    if os.geteuid() != 0:
        check(False, "--run needs root (chroot)")
        return
    if os.path.exists(work):
        if mounts_left(work):
            check(False, f"{work} still has mounts under it")
            return
        shutil.rmtree(work)
    root = os.path.join(work, "rootfs")
    scratch = os.path.join(work, "tmp")  # the emptyDir the Helm chart mounts at /tmp
    os.makedirs(root)
    os.makedirs(scratch)
    os.chmod(scratch, 0o1777)
    for name in layers:
        with outer.extractfile(name) as blob, open(os.path.join(work, "layer"), "wb") as f:
            shutil.copyfileobj(blob, f)
        subprocess.run(["tar", "-xf", os.path.join(work, "layer"), "-C", root, "--numeric-owner",
                        "--same-permissions", "--warning=no-unknown-keyword"], check=True)
    os.remove(os.path.join(work, "layer"))
    examples = os.path.join(scratch, "examples")
    os.makedirs(examples)
    for f in ("xor-mlp.safetensors", "xor-data.safetensors"):
        shutil.copy(os.path.join(REPO, "examples", f), examples)
    mounts = []

    def mount(*args):
        if subprocess.run(["mount", *args], stderr=subprocess.DEVNULL).returncode != 0:
            return False
        if "remount" not in args[1]:
            mounts.append(args[-1])
        return True

    try:
        # as the chart runs it: the root filesystem read-only, a writable /tmp; /dev and /proc as a
        # runtime provides them (the JVM's launcher finds libjli.so through /proc/self/exe)
        steps = (("--bind", root, root), ("-o", "remount,bind,ro", root, root),
                 ("--bind", scratch, os.path.join(root, "tmp")), ("--bind", "/dev", os.path.join(root, "dev")),
                 ("-t", "proc", "proc", os.path.join(root, "proc")))
        for args in steps:
            if not mount(*args):
                check(False, f"mount {' '.join(args)} (running the image needs root with the right to mount)")
                return
        try:
            open(os.path.join(root, "probe"), "w").close()
            check(False, "the root filesystem is read-only")
        except OSError as e:
            check(e.errno == errno.EROFS, f"the root filesystem is read-only ({e.strerror})")
        print(f"      running in {root}: the root filesystem read-only, {scratch} at /tmp")
        entry = c["Entrypoint"]
        user = c["User"]
        cwd = c.get("WorkingDir") or "/"
        base = ["chroot", f"--userspec={user}", root, "/usr/bin/env", "-i", "-C", cwd] + \
               [f"{k}={v}" for k, v in env.items()] + entry

        def eos(*args, timeout=300):
            start = time.monotonic()
            p = subprocess.run(base + list(args), capture_output=True, text=True, timeout=timeout)
            seconds = time.monotonic() - start
            if p.returncode != 0:
                sys.stderr.write(p.stdout[-2000:] + p.stderr[-4000:])
            return p, seconds

        p, s = eos("--help")
        check(p.returncode == 0 and "analyze" in p.stdout + p.stderr, f"eos --help in the image as {user} ({s:.1f} s)")
        for sub in ("analyzer", "gateway", "trainer"):
            p, s = eos(sub, "--help")
            check(p.returncode == 0 and "--bootstrap-servers" in p.stdout + p.stderr, f"eos {sub} --help ({s:.1f} s)")
        args = ["analyze", "--model", "/tmp/examples/xor-mlp.safetensors", "--data",
                "/tmp/examples/xor-data.safetensors", "--top-k", "2", "--quiet"]
        p, s = eos(*args)
        out = parse_json(p.stdout)
        got = out.get("hessian", {}).get("eigenvalues")
        check(p.returncode == 0 and got and out.get("device") == "cpu" and out["hessian"].get("converged"),
              f"eos analyze on the XOR example loads libtorch offline: λ(𝓗) = {got} ({s:.1f} s)")
        # the same analysis outside the image, where the launcher was built: the same numbers
        jar = os.path.join(REPO, "launcher", "target", "eoscope-launcher.jar")
        if got and os.path.exists(jar):
            host_args = [a.replace("/tmp/examples", os.path.join(REPO, "examples")) for a in args]
            h = subprocess.run(["java", "-Dai.djl.offline=true", "-cp", jar + ":" + os.path.join(REPO, "launcher", "target", "lib", "*"),
                                MAIN_CLASS, *host_args], capture_output=True, text=True, timeout=300,
                               env=dict(os.environ, DJL_OFFLINE="true", OPT_OUT_TRACKING="true"))
            want = parse_json(h.stdout).get("hessian", {}).get("eigenvalues")
            check(want is not None and len(want) == len(got) and all(abs(a - b) <= 1e-9 * abs(b) for a, b in zip(got, want)),
                  f"the same eigenvalues as the launcher built on the host: {want}")
        # every service at once: the embedded broker, a trainer, two analyzers and the gateway (port 0)
        p, s = eos("demo", "--steps", "200", "--snapshot-every", "50", "--exit-when-done", "--port", "0")
        check(p.returncode == 0 and "snapshots analysed" in p.stderr,
              f"eos demo --exit-when-done: Kafka broker, trainer, analyzers and gateway in the image ({s:.1f} s)")
        djl = os.path.join(scratch, os.path.relpath(env["DJL_CACHE_DIR"], "/tmp"))
        owners = {os.stat(os.path.join(d, n)).st_uid for d, _, ns in os.walk(djl) for n in ns}
        check(owners == {int(user.split(":")[0])}, f"libtorch unpacked into DJL_CACHE_DIR by uid {owners}")
    finally:
        for target in reversed(mounts):
            subprocess.run(["umount", "-l", target])
        if not keep and not mounts_left(work):
            shutil.rmtree(work)


def mounts_left(root):
    with open("/proc/mounts") as f:
        return any(line.split()[1].startswith(os.path.abspath(root) + "/") for line in f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("image")
    ap.add_argument("--run", metavar="DIR", help="unpack the layers into DIR and run the entry point there")
    ap.add_argument("--keep", action="store_true", help="keep DIR afterwards (it is removed otherwise)")
    a = ap.parse_args()
    outer, config, layers = read_image(a.image)
    print(f"image {a.image}: {os.path.getsize(a.image) / 2**20:.0f} MiB, {len(layers)} layers")
    c, env = static_checks(outer, config, layers)
    if a.run:
        run_checks(outer, config, layers, c, env, a.run, a.keep)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
