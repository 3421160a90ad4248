#!/usr/bin/env bash
# One-time set-up of a fresh Debian/Ubuntu machine that already has the .NET 10 SDK:
# restores the solution and the local dotnet tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

dotnet restore LatentLens.sln
