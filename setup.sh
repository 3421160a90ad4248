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

# MLflow 2.12.1's Python side (../shared/mlflow/server: its package plus Debian's packages), where the
# shared folder is beside the repository: the tests that load models through mlflow.pyfunc use it and
# skip, saying so, without it.
shared_mlflow=../shared/mlflow/server/debian-packages.txt
if [ -f "$shared_mlflow" ] && command -v apt-get >/dev/null 2>&1 && ! /usr/bin/python3 -c "import numpy, pandas, yaml, cloudpickle" 2>/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $(cat "$shared_mlflow") >/dev/null; } \
    || echo "warning: could not install MLflow's Python dependencies; the mlflow.pyfunc tests will be skipped" >&2
fi

# The Aspire CLI (for 'dotnet aspire publish'); no test needs it.
dotnet tool restore || echo "warning: 'dotnet tool restore' failed; 'dotnet aspire publish' will not be available" >&2

dotnet restore LatentLens.sln
