#!/usr/bin/env bash
# FunkSvd's fit per split as `train` reports it (fit_time_s) against Surprise's SVD in the same run,
# u1..u5 of MovieLens 100K, ROUNDS times in turn (LatentLens, then Surprise). docs/benchmarks.md §15.
# Surprise runs under Debian's /usr/bin/python3 (where build-surprise.sh built it).
# usage: docs/peers/funksvd-vs-surprise.sh API_DLL ML100K_FOLDER [ROUNDS] [SURPRISE_DIR]
# TRAIN_ARGS (environment) is added to LatentLens's train command, e.g. TRAIN_ARGS="--threads 1".
set -euo pipefail
DLL=${1:?usage: funksvd-vs-surprise.sh API_DLL ML100K_FOLDER [ROUNDS] [SURPRISE_DIR]}
DATA=${2:?usage: funksvd-vs-surprise.sh API_DLL ML100K_FOLDER [ROUNDS] [SURPRISE_DIR]}
ROUNDS=${3:-3}
SURPRISE=${4:-${XDG_CACHE_HOME:-$HOME/.cache}/surprise-1.1.4}
HERE=$(cd "$(dirname "$0")" && pwd)
ours=(); theirs=()
for round in $(seq "$ROUNDS"); do
  # shellcheck disable=SC2086
  o=$(dotnet "$DLL" train --train "$DATA" --no-track --json ${TRAIN_ARGS:-} 2>/dev/null |
      python3 -c "import json,sys; f=json.load(sys.stdin)['results'][0]['folds']; print(sum(x['fit_time_s'] for x in f)/len(f))")
  t=$(PYTHONPATH="$SURPRISE" /usr/bin/python3 "$HERE/surprise-svd-fit.py" "$DATA" | awk '{s+=$2} END {print s/NR}')
  ours+=("$o"); theirs+=("$t")
  python3 -c "print(f'round $round: LatentLens mean fit {float($o):.4f} s, Surprise {float($t):.4f} s, ratio {float($t)/float($o):.1f}x')"
done
python3 - "${ours[*]}" "${theirs[*]}" <<'PY'
import statistics, sys
o = [float(x) for x in sys.argv[1].split()]; t = [float(x) for x in sys.argv[2].split()]
r = [b / a for a, b in zip(o, t)]
print(f"median over {len(r)} rounds: LatentLens {statistics.median(o):.4f} s, Surprise {statistics.median(t):.4f} s, "
      f"Surprise/LatentLens {statistics.median(r):.1f}x (min {min(r):.1f}, max {max(r):.1f})")
PY
