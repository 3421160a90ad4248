#!/usr/bin/env bash
# A noise-free model of the FunkSvd epoch loop on a CPU: the JIT's listing of the lanes kernel's inner loop
# (one rating), fed to llvm-mca for that CPU model. docs/benchmarks.md §15 says how far to trust it: on Zen 3 it
# gives 84 cycles a rating where 28 ns at 3.0 GHz were measured, but it also predicted a 26 % gain for taking the
# dot product out of the rating-to-rating chain, which the machine did not show (it is bound by the memory side,
# which llvm-mca does not model: docs/peers/row-traffic.c).
# Needs llvm-mca (Debian: apt-get install llvm-15). The path is forced with LATENTLENS_SIMD (v256 or v128 on x64).
# usage: docs/peers/funksvd-loop-mca.sh API_DLL [CPU (default znver3)] [PATH (default v256)]
set -euo pipefail
DLL=${1:?usage: funksvd-loop-mca.sh API_DLL [CPU] [v256|v128]}
CPU=${2:-znver3}
SIMD=${3:-v256}
MCA=$(command -v llvm-mca || command -v llvm-mca-15 || command -v llvm-mca-14 || true)
[ -n "$MCA" ] || { echo "llvm-mca not found (Debian: apt-get install llvm-15)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
LATENTLENS_SIMD=$SIMD DOTNET_JitDisasm='Run' DOTNET_JitStdOutFile="$work/listing.txt" \
  dotnet "$DLL" benchmark scale --ratings 100000 --epochs 2 > /dev/null
python3 - "$work/listing.txt" "$work/loop.s" <<'PY'
import re, sys
text = open(sys.argv[1]).read().split("; Assembly listing for method ")
kernel = [m for m in text if m.startswith("LatentLens.Api.Recommender.Algorithms.FunkSvdLanesKernel:Run[") and "(FullOpts)" in m.splitlines()[0]]
if not kernel:
    sys.exit("no optimised listing of FunkSvdLanesKernel.Run found")
lines = kernel[0].splitlines()
labels = {m.group(1): i for i, l in enumerate(lines) if (m := re.match(r"^(G_M\d+_IG\d+):", l))}
# The inner loop: the shortest span from a label to a backward jump to it that holds the item-row prefetch.
spans = []
for i, l in enumerate(lines):
    m = re.match(r"^\s+j\w+\s+(?:SHORT\s+)?(G_M\d+_IG\d+)", l)
    if m and m.group(1) in labels and labels[m.group(1)] < i:
        body = lines[labels[m.group(1)]:i]
        if any("prefetch" in b for b in body):
            spans.append(body)
if not spans:
    sys.exit("no loop with a prefetch found in the listing")
body = min(spans, key=len)
out = [".intel_syntax noprefix"]
for l in body:
    l = l.split(";")[0].rstrip()
    if not l.strip() or re.match(r"^G_M", l) or re.match(r"^\s+(j\w+|align)\b", l):
        continue
    l = re.sub(r"\[reloc @RWD\d+\]", "[rip]", l)
    l = re.sub(r"ptr\s+", "ptr ", l)
    l = re.sub(r"(vbroadcastss\s+ymm\d+,\s+)ymm", r"\1xmm", l)  # the listing names the source's full register
    out.append(l)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print(f"inner loop: {len(out) - 1} instructions")
PY
# llvm-mca drops a line it cannot parse, or a CPU it does not know, and still reports: anything it says on
# stderr fails the script instead.
if ! "$MCA" -mcpu="$CPU" -iterations=200 "$work/loop.s" > "$work/mca.txt" 2> "$work/mca.err" || [ -s "$work/mca.err" ]; then
  cat "$work/mca.err" >&2
  exit 1
fi
sed -n '1,10p' "$work/mca.txt" |
  awk '/Iterations/ {it=$2} /Total Cycles/ {c=$3} {print} END {if (it) printf("cycles per rating (one iteration): %.1f\n", c/it)}'
