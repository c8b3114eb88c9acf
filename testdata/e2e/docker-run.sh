#!/usr/bin/env bash
# Runs the action's image as the runner runs a container action, without a
# runner: docker run with every input of action.yml as INPUT_<NAME> (upper
# case, hyphens kept, defaults filled in, values passed by name as the runner
# passes them), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY in a mounted
# /github/file_commands, the workspace as the working directory. It checks
# the exit statuses, the outputs, the summary's version footer and that the
# key shows nowhere but in the ::add-mask:: command.
#
#   testdata/e2e/docker-run.sh IMAGE [VERSION]
#
# VERSION is what the image was stamped with (--build-arg VERSION=...). The
# fake SigmaMind API runs on this machine's 127.0.0.1:8089 for the steps
# run with --network host, and inside the container, through
# SIGMAGATE_TEST_FAKE_API, for the steps run with --network none.
# DOCKER=podman runs it with podman.
set -euo pipefail
cd "$(dirname "$0")/../.."
image=${1:?usage: testdata/e2e/docker-run.sh IMAGE [VERSION]}
version=${2:-}
docker=${DOCKER:-docker}
key=test-key # the fake's
work=$(mktemp -d)
fake=""
cleanup() {
  if [ -n "$fake" ]; then kill "$fake" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/fakesigmamind" ./internal/cmd/fakesigmamind
"$work/fakesigmamind" -addr 127.0.0.1:8089 -key "$key" >"$work/fake.log" 2>&1 &
fake=$!
for _ in $(seq 50); do grep -q "serving on" "$work/fake.log" && break; sleep 0.1; done
grep -q "serving on" "$work/fake.log" || { cat "$work/fake.log"; exit 1; }

# The inputs action.yml declares, with their defaults: the runner exports
# every one, an omitted input as its default or as an empty string.
declare -A defaults=()
while IFS=$'\t' read -r name def; do
  defaults[$name]=$def
done < <(awk '
  /^[^ #]/ { inputs = ($0 == "inputs:") }
  inputs && /^  [A-Za-z0-9_-]+:$/ { if (name != "") print name "\t" def; name = substr($1, 1, length($1) - 1); def = "" }
  inputs && /^    default:/ { def = substr($0, index($0, ":") + 2); if (def ~ /^\x27.*\x27$/) { def = substr(def, 2, length(def) - 2); gsub(/\x27\x27/, "\x27", def) } }
  END { if (name != "") print name "\t" def }
' action.yml)
if [ "${#defaults[@]}" -lt 10 ] || [ -z "${defaults[api-key]+set}" ]; then
  echo "docker-run: could not read the inputs of action.yml" >&2
  exit 1
fi
# The runner evaluates an expression default; the job's token is one.
for k in "${!defaults[@]}"; do
  if [ "${defaults[$k]}" = '${{ github.token }}' ]; then defaults[$k]=ghs_e2eNotARealToken000000000000000000; fi
done

# step NAME NETWORK [input=value | env:NAME=value]...
step() {
  local name=$1 network=$2
  shift 2
  local dir="$work/$name"
  mkdir -p "$dir/file_commands" "$dir/workspace" "$dir/home"
  : >"$dir/file_commands/set_output_1"
  : >"$dir/file_commands/step_summary_1"
  local -A in=()
  local k
  for k in "${!defaults[@]}"; do in[$k]=${defaults[$k]}; done
  local vars=(GITHUB_ACTIONS=true CI=true HOME=/github/home GITHUB_WORKSPACE=/github/workspace
    GITHUB_OUTPUT=/github/file_commands/set_output_1 GITHUB_STEP_SUMMARY=/github/file_commands/step_summary_1)
  local kv
  for kv in "$@"; do
    case $kv in
      env:*) vars+=("${kv#env:}") ;;
      *) in[${kv%%=*}]=${kv#*=} ;;
    esac
  done
  for k in "${!in[@]}"; do vars+=("INPUT_${k^^}=${in[$k]}"); done
  printf '%s' "${in[api-key]}" >"$dir/key"
  local names=()
  for kv in "${vars[@]}"; do names+=(-e "${kv%%=*}"); done
  local code=0
  env "${vars[@]}" "$docker" run --rm --network "$network" --workdir /github/workspace \
    -v "$dir/file_commands:/github/file_commands" -v "$dir/workspace:/github/workspace" -v "$dir/home:/github/home" \
    "${names[@]}" "$image" >"$dir/log" 2>&1 || code=$?
  echo "$code" >"$dir/exit"
}

# output STEP NAME prints the value of an output the step set, as the runner
# reads GITHUB_OUTPUT (NAME<<DELIMITER lines, or NAME=VALUE).
output() {
  awk -v n="$2" '
    in_value && $0 == delim { print value; found = 1; exit }
    in_value { value = (first ? $0 : value "\n" $0); first = 0; next }
    index($0, n "<<") == 1 { delim = substr($0, length(n) + 3); in_value = 1; first = 1; value = ""; next }
    index($0, n "=") == 1 { print substr($0, length(n) + 2); found = 1; exit }
    END { if (!found) exit 1 }
  ' "$work/$1/file_commands/set_output_1"
}

passed=0 failed=0
expect() { # DESCRIPTION GOT WANT
  if [ "$2" == "$3" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1: got '$2', want '$3'" >&2
  fi
}
expect_step() { # STEP EXIT [OUTPUT=VALUE]...
  local s=$1
  expect "$s: exit status" "$(cat "$work/$s/exit")" "$2"
  shift 2
  local kv
  for kv in "$@"; do expect "$s: output ${kv%%=*}" "$(output "$s" "${kv%%=*}" || echo '<unset>')" "${kv#*=}"; done
}

with=(api-key="$key" api-url=http://127.0.0.1:8089 max-failure-rate=10%)
step pass host "${with[@]}" agent-id=agent_demo_pass batches=2
step fail host "${with[@]}" agent-id=agent_demo_fail
step badkey host "${with[@]}" agent-id=agent_demo_pass api-key=not-the-key
step down host "${with[@]}" agent-id=agent_demo_pass api-url=http://127.0.0.1:9 retries=0 on-error=warn
step inside none "${with[@]}" agent-id=agent_demo_pass env:SIGMAGATE_TEST_FAKE_API=127.0.0.1:8089
step refused none "${with[@]}" agent-id=agent_demo_pass api-url=http://10.1.2.3:8089 env:SIGMAGATE_TEST_FAKE_API=127.0.0.1:8089
step agents host "${with[@]}" "agent-id=agent_demo_pass, agent_demo_fail" pr-comment=always

expect_step pass 0 result=pass passed=true total-attempts=60
expect_step fail 1 result=fail passed=false
expect_step badkey 3 result=error passed=false
expect_step down 0 result=error passed=false
expect_step inside 0 result=pass passed=true total-attempts=30
expect_step agents 1 result=fail passed=false total-attempts=60
expect_step refused 2 result='<unset>'
expect "inside: the warning names the switch" "$(grep -c '^::warning::SIGMAGATE_TEST_FAKE_API is set' "$work/inside/log")" 1
expect "refused: the error names http" "$(grep -c '^::error::.*uses http, which would send the API key unencrypted' "$work/refused/log")" 1
if [ -n "$version" ]; then
  expect "--version" "$("$docker" run --rm "$image" --version 2>&1)" "sigmagate $version"
  expect "pass: summary footer" "$(grep -c "^<sub>sigmagate $version</sub>\$" "$work/pass/file_commands/step_summary_1")" 1
fi
token=${defaults[github-token]}
for s in pass fail badkey down inside refused agents; do
  d="$work/$s"
  k=$(cat "$d/key")
  expect "$s: the key is masked first" "$(head -n1 "$d/log")" "::add-mask::$k"
  expect "$s: the key appears nowhere else" "$( (tail -n +2 "$d/log"; cat "$d/file_commands/"*) | grep -cF -- "$k")" 0
  expect "$s: the token is masked" "$(grep -cxF -- "::add-mask::$token" "$d/log")" 1
  expect "$s: the token appears nowhere else" "$( (grep -vxF -- "::add-mask::$token" "$d/log"; cat "$d/file_commands/"*) | grep -cF -- "$token")" 0
done
expect "agents: the comment is skipped off pull requests" "$(grep -c '^sigmagate: pr-comment: skipped: not a pull request event' "$work/agents/log")" 1

echo "docker-run: $passed passed, $failed failed"
if [ "$failed" -gt 0 ]; then
  for s in pass fail badkey down inside refused agents; do echo "--- $s"; cat "$work/$s/log"; done >&2
  exit 1
fi
