#!/usr/bin/env bash
# The behaviours Nomad's Go client tests (api/jobs_test.go) check on a server, and the job list's
# query options (paging, filter, namespace=*, blocking), run through nomadpy (a Python port of
# that client: PUT verbs, path-escaped IDs) against `drover agent -dev`, a fresh agent per test. Needs cargo and python3 (with venv); prints pytest's summary last.
#
#   bash tests/nomadpy/run.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "-- building drover"
(cd "$root" && cargo build --locked -p drover-agent)
target="${CARGO_TARGET_DIR:-$root/target}"

echo "-- installing nomadpy and pytest"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    nomadpy==0.2.0 pytest==7.2.0

echo "-- running the Go client's job tests through nomadpy"
cd "$here"
env -u NOMAD_ADDR -u NOMAD_NAMESPACE -u NOMAD_REGION -u NOMAD_TOKEN \
    DROVER_BIN="$target/debug/drover" \
    "$work/venv/bin/python" -m pytest --rootdir . -p no:cacheprovider -rfEx test_jobs_api.py test_job_queries.py test_job_endpoints.py \
    test_evals_and_deployments_api.py
