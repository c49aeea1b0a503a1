#!/usr/bin/env bash
# Bootstrap: restore the pinned .NET tools (Cake, PowerShell), publish the Flatnet library for the Cake script,
# then run the task graph with every argument passed through: ./build.sh --target=AddHost --host=host-c
set -euo pipefail
cd "$(dirname "$0")"
dotnet tool restore >/dev/null
dotnet publish src/Flatnet/Flatnet.csproj -c Release -o artifacts/tools/flatnet --nologo -v quiet -p:GenerateFullPaths=true >/dev/null \
  || { echo "build.sh: building the Flatnet library failed; run 'dotnet build src/Flatnet' to see why" >&2; exit 1; }
exec dotnet cake build/build.cake "$@"
