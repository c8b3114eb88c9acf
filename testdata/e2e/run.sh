#!/usr/bin/env bash
# Runs the action as a runner does, through nektos/act (a wrapper that runs it
# on podman, set with ACT_E2E), building the action's image from the
# Dockerfile:
#   1. CI's `action` job (.github/workflows/ci.yml), where the fake SigmaMind
#      API answers inside the container (SIGMAGATE_TEST_FAKE_API); nothing
#      listens on 127.0.0.1:8089 meanwhile, so only that can answer;
#   2. testdata/e2e/gate.yml, against the fake served on 127.0.0.1:8089.
set -euo pipefail
cd "$(dirname "$0")/../.."
act_e2e=${ACT_E2E:-../shared/tools/act-e2e}
"$act_e2e" .github/workflows/ci.yml -j action "$@"

bin=$(mktemp -d)
fake=""
trap '[ -z "$fake" ] || kill "$fake" 2>/dev/null || true; rm -rf "$bin"' EXIT
go build -o "$bin/fakesigmamind" ./internal/cmd/fakesigmamind
"$bin/fakesigmamind" -addr 127.0.0.1:8089 >"$bin/fake.log" 2>&1 &
fake=$!
for _ in $(seq 50); do grep -q "serving on" "$bin/fake.log" && break; sleep 0.1; done
grep -q "serving on" "$bin/fake.log" || { cat "$bin/fake.log"; exit 1; }
"$act_e2e" testdata/e2e/gate.yml -s SIGMAMIND_API_KEY=test-key "$@"
