#!/usr/bin/env bash
# The ARM64 machine code of the FunkSvd 128-bit epoch loop, on an x64 machine: the runtime's "alt JIT" hook runs
# the arm64-targeting JIT that ships in the crossgen2 package beside the real one and prints its listing (its code
# is thrown away; the real JIT's runs). It shows which vectors of the user's row stay in registers on ARM64 (the
# kernel's p0..p11 are v16..v27 in the listing of 2026-11-27) and whether anything spills — no timing.
# The hook needs the alt JIT inside the runtime's folder, so this works on a private copy of the runtime in a
# temporary folder (about 110 MB) and leaves the installed one alone.
# The crossgen2 package is in the NuGet cache after any ReadyToRun publish, e.g. the Dockerfile's
# (`dotnet publish LatentLens.Api -c Release -r linux-x64 -p:PublishReadyToRun=true -o /tmp/latentlens-publish`).
# usage: docs/peers/arm64-listing.sh API_DLL [OUTPUT (default: arm64-funksvd-loop.txt)]
set -euo pipefail
DLL=$(readlink -f "${1:?usage: arm64-listing.sh API_DLL [OUTPUT]}")
OUT=${2:-arm64-funksvd-loop.txt}
ROOT=$(dirname "$(readlink -f "$(command -v dotnet)")")
VERSION=$(dotnet --list-runtimes | awk '/^Microsoft.NETCore.App / {v=$2} END {print v}')
JIT=${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.netcore.app.crossgen2.linux-x64/$VERSION/tools/libclrjit_universal_arm64_x64.so
[ -f "$JIT" ] || { echo "no $JIT: restore crossgen2 $VERSION first (a ReadyToRun publish, see the header)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/dotnet/shared"
cp -r "$ROOT/dotnet" "$ROOT/host" "$work/dotnet/"
cp -r "$ROOT/shared/Microsoft.NETCore.App" "$ROOT/shared/Microsoft.AspNetCore.App" "$work/dotnet/shared/"
cp "$JIT" "$work/dotnet/shared/Microsoft.NETCore.App/$VERSION/"
# AltJit=* sends every method through both JITs; only the kernel's listing is printed.
LATENTLENS_SIMD=v128 DOTNET_ROOT="$work/dotnet" DOTNET_AltJit='*' DOTNET_AltJitName=libclrjit_universal_arm64_x64.so \
  DOTNET_AltJitOS=linux DOTNET_JitDisasm='Run' DOTNET_JitStdOutFile="$work/listing.txt" \
  "$work/dotnet/dotnet" "$DLL" benchmark scale --ratings 100000 --epochs 1 > /dev/null
python3 - "$work/listing.txt" "$OUT" <<'PY'
import re, sys
parts = [p for p in open(sys.argv[1]).read().split("; Assembly listing for method ") if p.strip()]
arm = [p for p in parts if "FunkSvdLanesKernel:Run[" in p.splitlines()[0] and "(FullOpts)" in p.splitlines()[0] and "ARM64" in p[:400]]
if not arm:
    sys.exit("the arm64 JIT printed no listing of the kernel")
open(sys.argv[2], "w").write("; Assembly listing for method " + arm[0])
code = arm[0]
spills = len(re.findall(r"\b(?:str|stp)\s+q\d+.*\[fp", code))
reloads = len(re.findall(r"\b(?:ldr|ldp)\s+q\d+.*\[fp", code))
print(f"{sys.argv[2]}: {len(code.splitlines())} lines; 128-bit stores to the stack frame: {spills}, loads from it: {reloads}")
PY
