#!/usr/bin/env bash
# Runs testdata/e2e/gate.yml through nektos/act (a wrapper that runs it on
# podman, set with ACT_E2E): builds the action's image from the Dockerfile and
# runs it as a runner would, against the fake SigmaMind API served on
# 127.0.0.1:8089.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(mktemp -d)
trap 'kill "$fake" 2>/dev/null || true; rm -rf "$bin"' EXIT
go build -o "$bin/fakesigmamind" ./internal/cmd/fakesigmamind
"$bin/fakesigmamind" -addr 127.0.0.1:8089 >"$bin/fake.log" 2>&1 &
fake=$!
for _ in $(seq 50); do grep -q "serving on" "$bin/fake.log" && break; sleep 0.1; done
grep -q "serving on" "$bin/fake.log" || { cat "$bin/fake.log"; exit 1; }
"${ACT_E2E:-../shared/tools/act-e2e}" testdata/e2e/gate.yml -s SIGMAMIND_API_KEY=test-key "$@"
