#!/usr/bin/env bash
# GET /users/{id}/recommendations (random users, random k 5..20) against GET /health on one API process,
# alternately, ROUNDS rounds of SECONDS each (docs/benchmarks.md §13). Prints req/s per round and the ratio.
# Usage: docs/load/http-ratio.sh [API.dll] [ROUNDS] [SECONDS]   (from the repository root; needs wrk)
set -euo pipefail
dll=${1:-LatentLens.Api/bin/Release/net10.0/LatentLens.Api.dll}
rounds=${2:-5}
seconds=${3:-10}
port=${PORT:-18713}
url=http://127.0.0.1:$port
LatentLens__MlrunsPath=$PWD/mlruns ASPNETCORE_URLS=$url Logging__LogLevel__Default=Warning dotnet "$dll" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$url/users/1/recommendations"; do sleep 0.2; done
# Warm-up: both endpoints, and every (user, k) the script asks for, so the result cache is as a running service has it.
wrk -t2 -c32 -d5s -s docs/load/recommendations-random-k.lua "$url" >/dev/null
wrk -t2 -c32 -d3s "$url/health" >/dev/null
rps() { wrk -t2 -c32 -d"${seconds}s" "$@" | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "NON2XX " $0 > "/dev/stderr"}'; }
for r in $(seq 1 "$rounds"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  h=$(rps "$url/health")
  k=$(rps -s docs/load/recommendations-random-k.lua "$url")
  awk -v r="$r" -v h="$h" -v k="$k" -v l="$load" 'BEGIN { printf "round %d  load %s  /health %.0f req/s  recommendations %.0f req/s  ratio %.3f\n", r, l, h, k, k / h }'
done
