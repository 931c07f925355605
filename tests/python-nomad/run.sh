#!/usr/bin/env bash
# python-nomad's own upstream tests of the endpoints drover serves (the jobs, allocations,
# deployments, evaluations, agent, nodes, namespaces, status, regions and validate test files of
# its PyPI sdist, pinned) against a freshly started `drover agent -dev`, with this directory's
# conftest, common.py and fixture files. Needs cargo and python3 (with venv); prints pytest's
# summary last.
#
#   bash tests/python-nomad/run.sh            (NOMAD_PORT=4646 by default)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${NOMAD_PORT:-4646}"
version="2.1.0"
suites=(job jobs allocation allocations deployment deployments evaluation evaluations agent
    nodes namespace namespaces status regions validate)

work="$(mktemp -d)"
agent=""
cleanup() {
    if [ -n "$agent" ]; then
        kill "$agent" 2>/dev/null || true
        wait "$agent" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "-- building drover"
(cd "$root" && cargo build --locked -p drover-agent)
target="${CARGO_TARGET_DIR:-$root/target}"

log="$target/python-nomad-agent.log"
echo "-- starting drover agent -dev on 127.0.0.1:$port (log: $log)"
# python-nomad's own CI names its client node `pynomad1`, and its node tests look it up by name.
"$target/debug/drover" agent -dev -bind 127.0.0.1 -http-port "$port" -node pynomad1 -log-level WARN \
    >"$log" 2>&1 &
agent=$!

echo "-- installing python-nomad $version and the test tools"
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check \
    "python-nomad==$version" pytest==7.2.0 responses==0.22.0 mock==4.0.3 flaky==3.7.0
"$py" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    "python-nomad==$version" -d "$work/sdist"

run="$work/run"
mkdir -p "$run/tests"
tar -xzf "$work/sdist/python_nomad-$version.tar.gz" -C "$work/sdist"
files=()
for suite in "${suites[@]}"; do
    cp "$work/sdist/python_nomad-$version/tests/test_$suite.py" "$run/tests/"
    files+=("tests/test_$suite.py")
done
cp "$here/conftest.py" "$here/common.py" "$run/tests/"
touch "$run/tests/__init__.py"
cp "$here/example.nomad" "$here/example.json" "$here/example_batch_parameterized.json" "$run/"

# The agent must answer before the first test runs.
"$py" - "$port" <<'EOF'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/v1/status/leader"
for _ in range(300):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("drover agent did not start")
EOF

echo "-- running python-nomad's tests: ${suites[*]}"
cd "$run"
# The trap stops the agent afterwards, silently, so pytest's summary stays the last line.
env -u NOMAD_ADDR -u NOMAD_NAMESPACE -u NOMAD_REGION -u NOMAD_TOKEN \
    -u NOMAD_CLIENT_CERT -u NOMAD_CLIENT_KEY \
    NOMAD_IP=127.0.0.1 NOMAD_PORT="$port" NOMAD_VERSION=1.9.5 \
    "$py" -m pytest --rootdir . -p no:cacheprovider -rfEx "${files[@]}"
