#!/usr/bin/env bash
# The API's own CPU time per request, for cached GET /users/{id}/recommendations (docs/load/recommendations.lua) and
# POST /recommendations (docs/load/foldin-histories.lua): starts the API over mlruns/, warms both routes (POST for
# WARM seconds: the fold-in code takes about 15 s under load to reach its steady rate), then reads the server's
# utime + stime from /proc around one wrk run per route (docs/benchmarks.md §31).
# Usage: docs/load/cpu-per-request.sh [API.dll] [SECONDS]   (from the repository root; needs wrk; Linux)
set -euo pipefail
dll=${1:-LatentLens.Api/bin/Release/net10.0/LatentLens.Api.dll}
seconds=${2:-6}
port=${PORT:-18716}
url=http://127.0.0.1:$port
LatentLens__MlrunsPath=$PWD/mlruns ASPNETCORE_URLS=$url Logging__LogLevel__Default=Warning dotnet "$dll" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "$url/users/1/recommendations"; do sleep 0.2; done
wrk -t2 -c32 -d5s -s docs/load/recommendations.lua "$url" >/dev/null
wrk -t2 -c32 -d"${WARM:-15}s" -s docs/load/foldin-histories.lua "$url" >/dev/null
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
for script in recommendations foldin-histories; do
  before=$(cpu)
  out=$(wrk -t2 -c32 -d"${seconds}s" -s "docs/load/$script.lua" "$url")
  after=$(cpu)
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  awk -v s="$script" -v c=$((after - before)) -v r="$requests" -v rps="$rate" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%-18s %8.0f req/s  server CPU %.1f µs per request\n", s, rps, c / hz * 1e6 / r }'
done
