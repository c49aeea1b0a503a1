# Bootstrap for Windows (and pwsh anywhere): restore the pinned .NET tools, publish the Flatnet library,
# then run the Cake task graph with every argument passed through:
#   .\build.ps1 --target=AddHost --host=host-c
$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot
dotnet tool restore | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'dotnet tool restore failed' }
dotnet publish src/Flatnet/Flatnet.csproj -c Release -o artifacts/tools/flatnet --nologo -v quiet | Out-Null
if ($LASTEXITCODE -ne 0) { throw "build.ps1: building the Flatnet library failed; run 'dotnet build src/Flatnet' to see why" }
dotnet cake build/build.cake @args
exit $LASTEXITCODE
