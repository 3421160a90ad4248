#!/usr/bin/env bash
# Cold start: milliseconds from starting the API process to its first answered recommendation
# (GET /users/1/recommendations returns 200), what a container start costs (docs/benchmarks.md §14).
# Usage: docs/load/cold-start.sh [DIR holding LatentLens.Api.dll] [RUNS]   (from the repository root)
# Default DIR: a Release publish with the Dockerfile's arguments:
#   dotnet publish LatentLens.Api/LatentLens.Api.csproj -c Release -o /tmp/latentlens-publish -p:UseAppHost=false
set -euo pipefail
dir=${1:-/tmp/latentlens-publish}
runs=${2:-10}
port=${PORT:-18714}
url=http://127.0.0.1:$port/users/1/recommendations
times=()
cpus=()
for r in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  # As the Dockerfile runs it: the published folder, its settings, the repository's store.
  (cd "$dir" && exec env LatentLens__MlrunsPath="$OLDPWD/mlruns" ASPNETCORE_HTTP_PORTS=$port dotnet LatentLens.Api.dll >/dev/null 2>&1) &
  pid=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" = 200 ]; do
    kill -0 $pid 2>/dev/null || { echo "the API exited" >&2; exit 1; }
    sleep 0.005
  done
  end=$(date +%s%N)
  # CPU time the process used until then (user + system, in clock ticks): steadier than the wall time on a busy machine.
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($14 + $15) * 1000 / hz }' /proc/$pid/stat)
  kill $pid; wait $pid 2>/dev/null || true
  ms=$(( (end - start) / 1000000 ))
  times+=("$ms")
  cpus+=("$cpu")
  echo "run $r: ${ms} ms, CPU ${cpu} ms (load $(cut -d' ' -f1 /proc/loadavg))"
done
summary() { sort -n | awk -v what="$1" '{ a[NR] = $1 } END { printf "%s: min %d ms  median %d ms  max %d ms  (%d runs)\n", what, a[1], (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[NR], NR }'; }
printf '%s\n' "${times[@]}" | summary "wall time to the first 200"
printf '%s\n' "${cpus[@]}" | summary "CPU time to the first 200"
