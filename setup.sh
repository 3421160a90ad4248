#!/usr/bin/env bash
# One-time set-up of a fresh Debian/Ubuntu machine that already has the .NET 10 SDK:
# Debian's docker-compose (validates compose files; needs no engine), the local dotnet tools
# (the Aspire CLI) and the solution's packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v docker-compose >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker-compose >/dev/null
fi

dotnet tool restore
dotnet restore LatentLens.sln
