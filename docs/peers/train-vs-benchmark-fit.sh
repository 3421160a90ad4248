#!/usr/bin/env bash
# FunkSvd fit per split as `train` reports it (fit_time_s, one fit per split in a fresh process, first split
# included) against `benchmark fit` (its defaults: median of 7 fits per split after 40 warm-up fits), ROUNDS times
# in turn, u1..u5 of MovieLens 100K; the ratio is taken round by round (the machine's speed drifts). docs/benchmarks.md §15.
# usage: docs/peers/train-vs-benchmark-fit.sh API_DLL ML100K_FOLDER [ROUNDS]
set -euo pipefail
DLL=${1:?usage: train-vs-benchmark-fit.sh API_DLL ML100K_FOLDER [ROUNDS]}
DATA=${2:?usage: train-vs-benchmark-fit.sh API_DLL ML100K_FOLDER [ROUNDS]}
ROUNDS=${3:-5}
rows=()
for round in $(seq "$ROUNDS"); do
  train=$(dotnet "$DLL" train --train "$DATA" --no-track --json 2>/dev/null |
    python3 -c "import json,sys; print(' '.join(str(f['fit_time_s']) for f in json.load(sys.stdin)['results'][0]['folds']))")
  bench=$(dotnet "$DLL" benchmark fit --data "$DATA" 2>/dev/null | awk '/^u[1-5] / {printf "%s ", $3}')
  echo "round $round: train $train | benchmark fit $bench"
  rows+=("$train|$bench")
done
python3 - "${rows[@]}" <<'PY'
import statistics, sys
first, mean = [], []
for row in sys.argv[1:]:
    t, b = ([float(x) for x in part.split()] for part in row.split("|"))
    first.append(t[0] / b[0]); mean.append(statistics.fmean(t) / statistics.fmean(b))
print(f"train / benchmark fit over {len(mean)} rounds: mean of the 5 splits median {statistics.median(mean):.2f} "
      f"(min {min(mean):.2f}, max {max(mean):.2f}); first split (u1) median {statistics.median(first):.2f} "
      f"(min {min(first):.2f}, max {max(first):.2f})")
PY
