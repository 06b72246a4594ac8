#!/usr/bin/env bash
# Runs the Python client's tests (pytest) with an interpreter that has its Debian packages; Maven calls it in
# the integration-test phase of clients/python (after the launcher is packaged: the end-to-end test starts
# ./eos broker and ./eos analyzer). Without those packages the tests are skipped, saying why, unless
# EOS_REQUIRE_TOOLS=1 (as in .ci/run), which makes that a failure.
set -euo pipefail
cd "$(dirname "$0")"
for py in /usr/bin/python3 python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c "import torch, numpy, confluent_kafka, pytest" 2>/dev/null; then
    exec "$py" -m pytest -q -p no:cacheprovider "$@"
  fi
done
msg="no python3 with torch, numpy, confluent_kafka and pytest (Debian: apt-get install python3-torch python3-numpy python3-confluent-kafka python3-pytest)"
if [ "${EOS_REQUIRE_TOOLS:-}" = 1 ]; then
  echo "clients/python: FAILED: $msg" >&2
  exit 1
fi
echo "clients/python: SKIPPED its tests: $msg" >&2
