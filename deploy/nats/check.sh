#!/usr/bin/env bash
# deploy/nats/check.sh: checks the NATS configuration files with a local nats-server.
#
# 1. `nats-server -c FILE -t` on each file: syntax, unknown fields, bad values.
# 2. Starts a copy of nats-server.conf, rewritten to listen on 127.0.0.1 (free ports) with
#    a temporary store: JetStream must come up and /healthz must answer ok.
# 3. Starts copies of cluster/nats-{1,2,3}.conf likewise: each node must have routes to the
#    two others, and the JetStream cluster must elect a metadata leader.
# 4. Only if SAMAN_INTAKE_BIN names a saman-intake binary: runs it against the cluster with
#    SAMAN_STREAM_REPLICAS=3 (temporary SQLite event store) and checks that it creates the
#    SAMAN_EVENTS stream with 3 replicas.
#
# Everything binds 127.0.0.1 and lives in a temporary folder; each process runs under
# `timeout` and is stopped on exit. Needs bash and nats-server (NATS_SERVER_BIN to pick one).
#
# Usage: deploy/nats/check.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
nats_bin=${NATS_SERVER_BIN:-$(command -v nats-server || echo /usr/sbin/nats-server)}
if [[ ! -x "$nats_bin" ]]; then
  echo "check.sh: nats-server not found (apt-get install nats-server, or set NATS_SERVER_BIN)" >&2
  exit 1
fi
echo "check.sh: using $("$nats_bin" --version)"

work=$(mktemp -d "${TMPDIR:-/tmp}/saman-nats-check.XXXXXX")
pids=()
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local rc=$?
  # Newest first: intake stops while NATS is still there, then the servers.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    for log in "$work"/*.log; do
      [[ -f "$log" ]] || continue
      if [[ "$log" == */intake.log ]]; then
        echo "--- first lines of $log" >&2
        head -n 30 "$log" >&2
      else
        echo "--- last lines of $log" >&2
        tail -n 15 "$log" >&2
      fi
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "check.sh: FAIL: $*" >&2
  exit 1
}

port_in_use() {
  (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

taken=" "
# A free port on 127.0.0.1 not handed out before by this script.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if [[ "$taken" != *" $port "* ]] && ! port_in_use "$port"; then
      taken+="$port "
      echo "$port"
      return
    fi
  done
}

# GET http://127.0.0.1:PORT/PATH and print the body (bash only: no curl needed).
http_get() {
  local port=$1 path=$2
  # shellcheck disable=SC2016 # $1 and $2 expand in the inner bash
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
    sed "1,/^\r\{0,1\}$/d" <&3
  ' _ "$port" "$path" 2>/dev/null || true
}

# Waits up to $3 seconds until the body of GET $2 on port $1 matches the regex $4.
wait_http() {
  local port=$1 path=$2 seconds=$3 pattern=$4 body=""
  for _ in $(seq 1 $((seconds * 5))); do
    body=$(http_get "$port" "$path")
    if [[ "$body" =~ $pattern ]]; then
      return 0
    fi
    sleep 0.2
  done
  echo "check.sh: GET 127.0.0.1:$port$path did not match /$pattern/; last answer:" >&2
  echo "$body" | head -n 20 >&2
  return 1
}

# Copies config $1 to $2 with every listener on 127.0.0.1; $3 is a sed script for ports and
# the store. Refuses a copy that would still bind all interfaces or name a cluster host.
localize() {
  local src=$1 dst=$2 script=$3
  sed -e "$script" "$src" >"$dst"
  if grep -nE '0\.0\.0\.0|nats-[0-9]+:|"/data"' "$dst" | grep -v '^[0-9]*:[[:space:]]*#' >&2; then
    fail "$src: the lines above were not rewritten for the local test; update check.sh"
  fi
}

start_server() {
  local name=$1 conf=$2
  timeout 120 "$nats_bin" -c "$conf" -l "$work/$name.log" </dev/null >/dev/null 2>&1 &
  pids+=("$!")
}

# The single node's users and TLS: throwaway passwords and a certificate for 127.0.0.1.
export SAMAN_NATS_INTAKE_PASSWORD=check-intake SAMAN_NATS_PROJECTION_PASSWORD=check-projection \
  SAMAN_NATS_SUBSCRIBER_PASSWORD=check-subscriber
mkdir -p "$work/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$work/tls/server-key.pem" -out "$work/tls/server.pem" 2>/dev/null ||
  fail "openssl could not make a test certificate (apt-get install openssl)"
cp "$here/saman-permissions.conf" "$work/saman-permissions.conf"

# 1. Parse every file (the single node's copy with the test certificate).
sed "s#/etc/nats/tls/#$work/tls/#" "$here/nats-server.conf" >"$work/parse.conf"
"$nats_bin" -c "$work/parse.conf" -t 2>&1 || fail "$here/nats-server.conf does not parse"
for conf in "$here"/cluster/nats-*.conf; do
  "$nats_bin" -c "$conf" -t 2>&1 || fail "$conf does not parse"
done

# 2. The single node.
client=$(free_port)
http=$(free_port)
localize "$here/nats-server.conf" "$work/single.conf" "
  s#0\.0\.0\.0:4222#127.0.0.1:$client#
  s#0\.0\.0\.0:8222#127.0.0.1:$http#
  s#\"/data\"#\"$work/single-store\"#
  s#/etc/nats/tls/#$work/tls/#
"
start_server single "$work/single.conf"
wait_http "$http" "/healthz?js-enabled-only=true" 20 '"status": *"ok"' ||
  fail "single node: JetStream did not become healthy"
wait_http "$http" "/jsz" 5 "\"store_dir\": *\"$work/single-store" ||
  fail "single node: JetStream does not use the configured store_dir"
grep -q "Starting JetStream" "$work/single.log" || fail "single node: no 'Starting JetStream' in the log"
echo "check.sh: ok: single node with JetStream on 127.0.0.1:$client (monitoring $http)"
kill -TERM "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true

# 3. The 3-node cluster.
declare -A c h r
for n in 1 2 3; do
  c[$n]=$(free_port)
  h[$n]=$(free_port)
  r[$n]=$(free_port)
done
for n in 1 2 3; do
  localize "$here/cluster/nats-$n.conf" "$work/nats-$n.conf" "
    s#0\.0\.0\.0:4222#127.0.0.1:${c[$n]}#
    s#0\.0\.0\.0:8222#127.0.0.1:${h[$n]}#
    s#0\.0\.0\.0:6222#127.0.0.1:${r[$n]}#
    s#nats://nats-1:6222#nats://127.0.0.1:${r[1]}#
    s#nats://nats-2:6222#nats://127.0.0.1:${r[2]}#
    s#nats://nats-3:6222#nats://127.0.0.1:${r[3]}#
    s#\"/data\"#\"$work/nats-$n-store\"#
  "
done
for n in 1 2 3; do
  start_server "nats-$n" "$work/nats-$n.conf"
done
for n in 1 2 3; do
  wait_http "${h[$n]}" "/routez" 30 '"num_routes": *2[,}[:space:]]' ||
    fail "nats-$n: does not have routes to the two other nodes"
done
for n in 1 2 3; do
  wait_http "${h[$n]}" "/jsz" 30 '"leader": *"nats-[123]"' ||
    fail "nats-$n: no JetStream metadata leader"
  wait_http "${h[$n]}" "/healthz?js-enabled-only=true" 30 '"status": *"ok"' ||
    fail "nats-$n: not healthy"
done
leader=$(http_get "${h[1]}" /jsz | grep -oE '"leader": *"nats-[123]"' | head -n 1 | grep -oE 'nats-[123]')
grep -h "JetStream cluster" "$work"/nats-*.log | sed 's/^/  log: /' | head -n 6
echo "check.sh: ok: 3-node cluster formed (routes 127.0.0.1:${r[1]},${r[2]},${r[3]}; JetStream metadata leader $leader)"

# 4. Optional: intake creates the replicated stream.
if [[ -n "${SAMAN_INTAKE_BIN:-}" ]]; then
  grpc=$(free_port)
  SAMAN_INTAKE_LISTEN="127.0.0.1:$grpc" \
    SAMAN_DATABASE_URL="sqlite://$work/intake/intake.db?mode=rwc" \
    SAMAN_NATS_URL="nats://127.0.0.1:${c[2]}" SAMAN_NATS_INSECURE_PLAINTEXT=true \
    SAMAN_STREAM_REPLICAS=3 \
    timeout -k 20 60 "$SAMAN_INTAKE_BIN" >"$work/intake.log" 2>&1 </dev/null &
  pids+=("$!")
  for _ in $(seq 1 150); do
    grep -q "stream ready" "$work/intake.log" && break
    sleep 0.2
  done
  grep -q "stream ready" "$work/intake.log" || fail "intake did not set up the stream"
  wait_http "${h[1]}" "/jsz?accounts=true&streams=true&config=true" 10 \
    '"name": *"SAMAN_EVENTS".*"num_replicas": *3[,}[:space:]]' ||
    fail "the SAMAN_EVENTS stream does not have 3 replicas"
  echo "check.sh: ok: intake created SAMAN_EVENTS with 3 replicas on the cluster"
fi

echo "check.sh: all NATS configuration checks passed"
