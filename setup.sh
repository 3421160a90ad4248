#!/usr/bin/env bash
# One-time set-up of a fresh Debian/Ubuntu machine that already has the .NET 10 SDK:
# Debian's docker-compose (validates compose files; needs no engine), the local dotnet tools
# (the Aspire CLI) and the solution's packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v docker-compose >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Only the compose-config tests need it; they skip, saying so, without it.
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq docker-compose >/dev/null; } \
    || echo "warning: could not install docker-compose; the tests that run 'docker-compose config' will be skipped" >&2
fi

# The Aspire CLI (for 'dotnet aspire publish'); no test needs it.
dotnet tool restore || echo "warning: 'dotnet tool restore' failed; 'dotnet aspire publish' will not be available" >&2

dotnet restore LatentLens.sln
