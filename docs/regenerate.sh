#!/usr/bin/env bash
# docs/regenerate.sh: redraws the README's pictures with the project's own tools (a few minutes on 2 cores):
#   docs/demo-page.png        the live page at the end of `./eos demo` (headless Chromium: Debian package chromium)
#   docs/report-*.png         figures of the report of `./eos reproduce --preset mini`
# (docs/pytorch-cnn-page.png is the page for examples/pytorch_cnn.py: README, "Watch your own PyTorch training".)
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
command -v chromium >/dev/null || { echo "docs/regenerate.sh: needs chromium (apt-get install chromium)" >&2; exit 2; }
work="$(mktemp -d)"
demo=""
trap '[ -n "$demo" ] && kill "$demo" 2>/dev/null; rm -rf "$work"' EXIT
port=18765
analysed() { # the newest analysed step of the demo's run, or -1
  curl -s "http://127.0.0.1:$port/api/runs" 2>/dev/null | python3 -c 'import json, sys
try:
    print(max([r.get("analysed_step", -1) for r in json.load(sys.stdin)] or [-1]))
except Exception:
    print(-1)'
}
echo "docs/regenerate.sh: ./eos demo, the page on port $port ..." >&2
./eos demo --data-dir "$work/demo" --port "$port" > "$work/demo.log" 2>&1 &
demo=$!
for _ in $(seq 1 150); do
  [ "$(analysed)" -ge 1500 ] && break
  sleep 2
done
[ "$(analysed)" -ge 1500 ] || { echo "docs/regenerate.sh: the demo did not finish in 5 minutes:" >&2; tail -5 "$work/demo.log" >&2; exit 1; }
run=$(curl -s "http://127.0.0.1:$port/api/runs" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["run"])')
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --user-data-dir="$work/chromium" --virtual-time-budget=10000 --run-all-compositor-stages-before-draw \
  --window-size=1400,1250 --screenshot="$work/demo-page.png" "http://127.0.0.1:$port/#run=$run&static" 2>/dev/null
kill "$demo"; wait "$demo" 2>/dev/null || true; demo=""
cp "$work/demo-page.png" docs/demo-page.png
echo "docs/regenerate.sh: wrote docs/demo-page.png ($(stat -c %s docs/demo-page.png) bytes)" >&2
