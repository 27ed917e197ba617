#!/usr/bin/env bash
# Benchmark of the authentication paths over HTTP, on SQLite and on PostgreSQL:
#   GET /api/v1/me with a valid token, and POST /api/v1/auth/login, at 1 and 64 clients;
#   GET /api/v1/me p99 alone and while 20 logins are in flight (hashing must not stall it).
# Prints requests/s, p50 and p99. Usage: bash benches/auth.sh [seconds per run, default 10]
# (PINGGU_BENCH_BINARY=target/debug/pinggu: that binary instead of a release build)
# Needs wrk (apt-get install wrk) and, for PostgreSQL, a server at PINGGU_BENCH_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
pg_admin="${PINGGU_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

# PINGGU_BENCH_BINARY: a binary already built (CI's smoke run uses the test build's).
if [ -n "${PINGGU_BENCH_BINARY:-}" ]; then
  bin="$(realpath "$PINGGU_BENCH_BINARY")"
  build="the binary $PINGGU_BENCH_BINARY"
else
  cargo build --release --quiet
  bin="$PWD/target/release/pinggu"
  build="release build"
fi
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "${pg_db:-}" ] && psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

password="Bench-pass-2025"
port=18080
cat > "$work/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench","password":"$password"}'
LUA

# Prints "rps p50 p99" from wrk --latency output.
summarize() {
  awk '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {printf "%10s %10s %10s", rps, p50, p99}'
}

# p99 of the second summary over p99 of the first (wrk prints us, ms or s).
ratio() {
  awk -v a="$(echo "$1" | awk '{print $3}')" -v b="$(echo "$2" | awk '{print $3}')" '
    function us(x) { if (x ~ /us$/) return x + 0; if (x ~ /ms$/) return x * 1000; return x * 1000000 }
    BEGIN { printf "%.1fx", us(b) / us(a) }'
}

run_wrk() { # connections url [extra wrk args...]
  local connections=$1 url=$2; shift 2
  local threads=$(( connections < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@" "$url" | summarize
}

bench_backend() { # name database_url
  local name=$1 url=$2
  export DATABASE_URL="$url" PINGGU__AUTH__JWT_SECRET="bench-secret-bench-secret-bench-secret-00"
  # One account logs in from 64 clients at once: lift the throttle, which would (rightly) hold
  # most of those concurrent attempts back.
  export PINGGU__LOG__LEVEL=error PINGGU__AUTH__THROTTLE__PER_IP=1000000 PINGGU__AUTH__THROTTLE__PER_USER=1000000
  (cd "$work" && echo "$password" | "$bin" admin create --username bench --password-stdin >/dev/null)
  (cd "$work" && exec "$bin" serve --bind "127.0.0.1:$port") &
  server_pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local token
  token=$(curl -fs -H 'content-type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$password\"}" \
    "http://127.0.0.1:$port/api/v1/auth/login" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  local me="http://127.0.0.1:$port/api/v1/me" login="http://127.0.0.1:$port/api/v1/auth/login"

  printf '%-10s %-32s %10s %10s %10s\n' "$name" "run" "req/s" "p50" "p99"
  printf '%-10s %-32s %s\n' "" "GET /me, 1 client" "$(run_wrk 1 "$me" -H "Authorization: Bearer $token")"
  printf '%-10s %-32s %s\n' "" "GET /me, 64 clients" "$(run_wrk 64 "$me" -H "Authorization: Bearer $token")"
  printf '%-10s %-32s %s\n' "" "POST /auth/login, 1 client" "$(run_wrk 1 "$login" -s "$work/login.lua")"
  printf '%-10s %-32s %s\n' "" "POST /auth/login, 64 clients" "$(run_wrk 64 "$login" -s "$work/login.lua")"
  # GET /me p99 alone and with 20 logins in flight, twice, interleaved: a 2-core VM's p99
  # wanders between runs, so each "with" is compared with the "alone" run just before it.
  for round in 1 2; do
    local alone with
    alone=$(run_wrk 1 "$me" -H "Authorization: Bearer $token")
    wrk -t1 -c20 -d"$((duration + 4))s" -s "$work/login.lua" "$login" > "$work/background.txt" &
    local background=$!
    sleep 2
    with=$(run_wrk 1 "$me" -H "Authorization: Bearer $token")
    wait "$background"
    printf '%-10s %-32s %s\n' "" "GET /me, 1 client, alone ($round)" "$alone"
    printf '%-10s %-32s %s\n' "" "GET /me, 1 client, 20 logins ($round)" "$with"
    printf '%-10s %-32s %s\n' "" "  the 20 logins meanwhile" "$(summarize < "$work/background.txt")"
    printf '%-10s %-32s %10s\n' "" "  p99 with / p99 alone" "$(ratio "$alone" "$with")"
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

echo "pinggu auth benchmark: $(nproc) cores, ${duration}s per run, $build"
bench_backend sqlite "sqlite://$work/bench.db"
if psql "$pg_admin" -Atqc 'select 1' >/dev/null 2>&1; then
  pg_db="pinggu_bench_$$"
  psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
  bench_backend postgres "${pg_admin%/*}/$pg_db"
else
  echo "postgres: not reachable at $pg_admin, skipped"
fi
