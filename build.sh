#!/usr/bin/env bash
# Bootstrap: restore the pinned .NET tools (Cake, PowerShell), publish the Flatnet library (with the lab beside it) for the Cake script,
# then run the task graph with every argument passed through: ./build.sh --target=AddHost --host=host-c
# The library is published again only when its source or the Cake scripts changed (a stamp of their contents), and
# Cake reuses its compiled script until then, so a task starts in a few seconds.
set -euo pipefail
cd "$(dirname "$0")"
dotnet tool restore >/dev/null
out=artifacts/tools/flatnet
stamp=$( { find src/Flatnet src/Flatnet.Lab -type f \( -name '*.cs' -o -name '*.csproj' \) -not -path '*/obj/*' -not -path '*/bin/*' -print0 | sort -z | xargs -0 sha256sum
           sha256sum .config/dotnet-tools.json build/*.cake build/tasks/*.cake; } | sha256sum | cut -d' ' -f1)
if [ ! -f "$out/Flatnet.dll" ] || [ "$(cat "$out/.source-stamp" 2>/dev/null)" != "$stamp" ]; then
  dotnet publish src/Flatnet.Lab/Flatnet.Lab.csproj -c Release -o "$out" --nologo -v quiet -p:GenerateFullPaths=true >/dev/null \
    || { echo "build.sh: building the Flatnet library failed; run 'dotnet build src/Flatnet.Lab' to see why" >&2; exit 1; }
  rm -rf build/tools/cache   # Cake's compiled script was made against the library it replaces
  echo "$stamp" >"$out/.source-stamp"
fi
export CAKE_SETTINGS_ENABLESCRIPTCACHE=true
exec dotnet cake build/build.cake "$@"
