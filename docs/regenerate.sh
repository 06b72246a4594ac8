#!/usr/bin/env bash
# docs/regenerate.sh [page|report|density|all]: redraws the README's pictures with the project's own tools.
#   page    docs/demo-page.png: the live page at the end of `./eos demo` (headless Chromium, Debian package
#           chromium; about a minute on 2 cores)
#   report  docs/report-eos-sharpness.png and docs/report-layers-gauss-newton.png: two figures of the report of
#           `./eos reproduce --preset quick` (sharpness against 2/η; λmax of each layer's block of G), as the
#           report draws them (about 13 minutes on 2 cores)
#   density docs/density-heatmap.png: the live page's spectral density heatmap alone (&only=density) at the end
#           of `./eos demo --density --trace --density-trace-every 1` (headless Chromium; a few minutes on 2 cores)
#   all     page and report (the default)
# Every picture must stay under 300 KB: a larger one fails the script and is not copied.
# (docs/pytorch-cnn-page.png is the page for examples/pytorch_cnn.py: README, "Watch your own PyTorch training".)
set -euo pipefail
what="${1:-all}"
case "$what" in
  page|report|density|all) ;;
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "docs/regenerate.sh: unknown part '$what' (page, report, density or all; --help)" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
work="$(mktemp -d)"
demo=""
trap '[ -n "$demo" ] && kill "$demo" 2>/dev/null; rm -rf "$work"' EXIT

# copies a PNG into docs/ unless it is over 300 KB
keep() {
  local from="$1" to="$2" size
  size=$(stat -c %s "$from")
  if [ "$size" -gt 307200 ]; then
    echo "docs/regenerate.sh: $to would be $size bytes, over 300 KB: not copied" >&2
    exit 1
  fi
  cp "$from" "$to"
  echo "docs/regenerate.sh: wrote $to ($size bytes)" >&2
}

# shot PORT MINUTES WINDOW FRAGMENT OUT [DEMO OPTIONS...]: runs ./eos demo with the options on PORT, waits up to
# MINUTES for its run to be analysed to step 1500, and screenshots its page at #run=RUN&FRAGMENT into OUT
shot() {
  local port="$1" minutes="$2" window="$3" fragment="$4" out="$5" run
  shift 5
  command -v chromium >/dev/null || { echo "docs/regenerate.sh: needs chromium (apt-get install chromium)" >&2; exit 2; }
  analysed() { # the newest analysed step of the demo's run, or -1
    curl -s "http://127.0.0.1:$port/api/runs" 2>/dev/null | python3 -c 'import json, sys
try:
    print(max([r.get("analysed_step", -1) for r in json.load(sys.stdin)] or [-1]))
except Exception:
    print(-1)'
  }
  echo "docs/regenerate.sh: ./eos demo${*:+ $*}, the page on port $port ..." >&2
  ./eos demo --data-dir "$work/demo" --port "$port" "$@" > "$work/demo.log" 2>&1 &
  demo=$!
  for _ in $(seq 1 $((minutes * 30))); do
    [ "$(analysed)" -ge 1500 ] && break
    sleep 2
  done
  [ "$(analysed)" -ge 1500 ] || { echo "docs/regenerate.sh: the demo did not finish in $minutes minutes:" >&2; tail -5 "$work/demo.log" >&2; exit 1; }
  run=$(curl -s "http://127.0.0.1:$port/api/runs" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["run"])')
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --user-data-dir="$work/chromium" --virtual-time-budget=10000 --run-all-compositor-stages-before-draw \
    --window-size="$window" --screenshot="$out" "http://127.0.0.1:$port/#run=$run&$fragment" 2>/dev/null
  kill "$demo"; wait "$demo" 2>/dev/null || true; demo=""
}

page() {
  shot 18765 5 1400,1250 static "$work/demo-page.png"
  keep "$work/demo-page.png" docs/demo-page.png
}

report() {
  echo "docs/regenerate.sh: ./eos reproduce --preset quick (about 13 minutes) ..." >&2
  ./eos reproduce --preset quick --out "$work/quick"
  for id in eos-sharpness layers-gauss-newton; do
    keep "$work/quick/figures/$id.png" "docs/report-$id.png"
  done
}

density() {
  shot 18766 10 1400,700 "static&only=density" "$work/density.png" --density --trace --density-trace-every 1
  keep "$work/density.png" docs/density-heatmap.png
}

case "$what" in
  density) density ;;
  page) page ;;
  report) report ;;
  all) page; report ;;
esac
