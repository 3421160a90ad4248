#!/usr/bin/env bash
# A bounded soak (docs/benchmarks.md, "Does serving stay correct while the champion moves?"): random
# recommendation traffic (wrk: users 1..610, k 5..20) for SECONDS against one API process over a copy of the
# committed store, while a promoter moves the champion alias every 2 s through
#   version 8 (a copy of version 5's run with NaN user factors: broken) -> 7 (als, valid) -> 8 -> 5 (puresvd, valid) -> ...
# so every other promotion is broken. One second after each promotion it asks /model what is served.
# Prints: requests, non-2xx answers, swaps (models loaded after the first), broken promotions and how many of them
# left the previous model serving, and the process's resident memory after the warm-up, every 30 s and at the end.
# Usage: docs/load/soak.sh [API.dll] [SECONDS]   (from the repository root; needs wrk and python3; build with -c Release)
set -euo pipefail
dll=${1:-LatentLens.Api/bin/Release/net10.0/LatentLens.Api.dll}
seconds=${2:-600}
port=${PORT:-18714}
url=http://127.0.0.1:$port
work=$(mktemp -d /tmp/latentlens-soak.XXXXXX)
pids=()
cleanup() {
  # The loops' own children (sleep, curl) go with them: each loop runs in a process group of its own.
  for p in ${pids[@]+"${pids[@]}"}; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
set -m # background jobs get process groups of their own, so cleanup can end a loop with its children
store=$work/mlruns
cp -r mlruns "$store"

# Version 8: version 5's run copied under a new run id, with a NaN in its user factors.
python3 - "$store" <<'PY'
import os, re, shutil, struct, sys, uuid
store = sys.argv[1]
exp, run = "782417740297552058", "243327094a82470fa5746044d62d9ff4"
new = uuid.uuid4().hex
src, dst = os.path.join(store, exp, run), os.path.join(store, exp, new)
shutil.copytree(src, dst)
meta = os.path.join(dst, "meta.yaml")
text = open(meta).read().replace(run, new)
open(meta, "w").write(text)
npy = os.path.join(dst, "artifacts", "model", "user_factors.npy")
data = bytearray(open(npy, "rb").read())
start = 10 + struct.unpack("<H", data[8:10])[0]
data[start + 4:start + 8] = struct.pack("<f", float("nan"))
open(npy, "wb").write(bytes(data))
versions = os.path.join(store, "models", "LatentLens-SVD")
v5 = open(os.path.join(versions, "version-5", "meta.yaml")).read()
os.makedirs(os.path.join(versions, "version-8"))
v8 = re.sub(r"^version: 5$", "version: 8", v5.replace(run, new), flags=re.M)
open(os.path.join(versions, "version-8", "meta.yaml"), "w").write(v8)
PY

LatentLens__MlrunsPath=$store LatentLens__ReloadIntervalSeconds=0.5 ASPNETCORE_URLS=$url dotnet "$dll" >"$work/api.log" 2>&1 &
api=$!
pids+=("$api")
disown "$api"
for _ in $(seq 1 300); do curl -sf -o /dev/null "$url/ready" && break; kill -0 "$api" || { cat "$work/api.log"; exit 1; }; sleep 0.2; done
curl -sf -o /dev/null "$url/ready" || { echo "the API did not become ready within 60 s" >&2; cat "$work/api.log"; exit 1; }
wrk -t2 -c16 -d5s -s docs/load/recommendations-random-k.lua "$url" >/dev/null
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$api/status" 2>/dev/null || echo "gone"; }
rss_start=$(rss)
loads_start=$(grep -c "Serving model" "$work/api.log" || true)

alias_file=$store/models/LatentLens-SVD/aliases/champion
(
  order=(8 7 8 5)
  i=0
  while true; do
    v=${order[i % 4]}
    printf '%s' "$v" >"$alias_file.tmp" && mv "$alias_file.tmp" "$alias_file"
    sleep 1
    served=$(curl -s "$url/model" | python3 -c 'import json,sys; m=json.load(sys.stdin); r=m.get("rejected") or {}; print(m.get("version"), r.get("version"))' 2>/dev/null || echo "error error")
    echo "$v $served" >>"$work/promotions.txt"
    sleep 1
    i=$((i + 1))
  done
) &
pids+=("$!")
disown "$!"

# Resident memory every 30 s, to tell growth that levels off from a leak.
( while sleep 30; do echo "$(rss)" >>"$work/rss.txt"; done ) &
pids+=("$!")
disown "$!"

load_before=$(cut -d' ' -f1 /proc/loadavg)
wrk -t2 -c16 -d"${seconds}s" --timeout 10s -s docs/load/recommendations-random-k.lua "$url" >"$work/wrk.txt"
kill -- "-${pids[1]}" "-${pids[2]}" 2>/dev/null || true
rss_end=$(rss)
if ! kill -0 "$api" 2>/dev/null; then
  echo "the API process died during the soak; its log:" >&2
  tail -20 "$work/api.log" >&2
fi
touch "$work/promotions.txt" "$work/rss.txt"

requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
non2xx=$(awk -F': *' '/Non-2xx/ {print $2}' "$work/wrk.txt")
errors=$(grep -E "Socket errors" "$work/wrk.txt" || echo "Socket errors: none")
loads=$(grep -c "Serving model" "$work/api.log" || true)
python3 - "$work/promotions.txt" <<PY
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
broken = [r for r in rows if r[0] == "8"]
valid = [r for r in rows if r[0] != "8"]
kept = sum(1 for r in broken if r[1] in ("5", "7") and r[2] == "8")
followed = sum(1 for r in valid if r[1] == r[0])
print(f"soak: {${seconds}} s, load average at start ${load_before}, $(nproc) cores, $(grep -m1 -o 'avx512f' /proc/cpuinfo >/dev/null && echo AVX-512 || echo no-AVX-512)")
print(f"requests: ${requests:-0}; non-2xx: ${non2xx:-0}; ${errors}")
print(f"promotions: {len(rows)} ({len(valid)} valid, {len(broken)} broken); valid ones served 1 s later: {followed}/{len(valid)}; "
      f"broken ones rejected with the previous model still serving: {kept}/{len(broken)}")
print(f"models loaded after the first: $((loads - loads_start)); why version 8 was rejected: $(grep -m1 'Rejected the new model' "$work/api.log" | sed 's/^ *//; s/"/\\"/g' | cut -c1-320)")
print(f"resident memory: ${rss_start} MiB after warm-up, ${rss_end} MiB at the end; every 30 s: $(tr '\n' ' ' <"$work/rss.txt")")
PY
