#!/usr/bin/env bash
# POST /recommendations (random histories of 5..200 ratings, docs/load/foldin-histories.lua) against
# GET /users/{id}/recommendations (random users, k=10, docs/load/recommendations.lua) on one API process,
# alternately, ROUNDS rounds of SECONDS each (docs/benchmarks.md §22). Prints req/s per round and the ratio.
# Usage: docs/load/foldin-ratio.sh [API.dll] [ROUNDS] [SECONDS]   (from the repository root; needs wrk)
set -euo pipefail
dll=${1:-LatentLens.Api/bin/Release/net10.0/LatentLens.Api.dll}
rounds=${2:-5}
seconds=${3:-10}
port=${PORT:-18714}
url=http://127.0.0.1:$port
LatentLens__MlrunsPath=$PWD/mlruns ASPNETCORE_URLS=$url Logging__LogLevel__Default=Warning dotnet "$dll" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$url/users/1/recommendations"; do sleep 0.2; done
# Warm-up: both routes; every user's GET answer is then in the result cache, as a running service has it. The POST
# route takes about 15 s under load to reach its steady rate (tiered JIT of the fold-in code), hence WARM (seconds).
warm=${WARM:-15}
wrk -t2 -c32 -d5s -s docs/load/recommendations.lua "$url" >/dev/null
wrk -t2 -c32 -d"${warm}s" -s docs/load/foldin-histories.lua "$url" >/dev/null
rps() { wrk -t2 -c32 -d"${seconds}s" "$@" | awk '/Requests\/sec/ {print $2} /Non-2xx/ {print "NON2XX " $0 > "/dev/stderr"}'; }
for r in $(seq 1 "$rounds"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  g=$(rps -s docs/load/recommendations.lua "$url")
  p=$(rps -s docs/load/foldin-histories.lua "$url")
  awk -v r="$r" -v g="$g" -v p="$p" -v l="$load" 'BEGIN { printf "round %d  load %s  GET %.0f req/s  POST fold-in %.0f req/s  ratio %.3f\n", r, l, g, p, p / g }'
done
