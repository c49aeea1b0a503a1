# Bootstrap for Windows: restore the pinned .NET tools, publish the Flatnet library,
# then run the Cake task graph with every argument passed through:
#   .\build.ps1 --target=AddHost --host=host-c
# Elsewhere (pwsh on Linux or macOS) it runs build.sh, which checks what it builds and runs.
# The library is published again only when its source or the Cake scripts changed (a stamp of their contents), and
# Cake reuses its compiled script until then, so a task starts in a few seconds.
$ErrorActionPreference = 'Stop'
# PowerShell reads `--hosts=a,b` as an array and would hand Cake `--hosts=a b`: each argument is rejoined with commas,
# as build.sh passes it.
$argv = @(foreach ($a in $args) { if ($a -is [array]) { $a -join ',' } else { "$a" } })
# On Linux or macOS, build.sh is the bootstrap: it holds the checkout, the packages and the SDK to their owners, keeps
# the umask from sharing what it makes, and restores from the user's own NuGet config alone. build.ps1 under pwsh there
# did none of it, and published another account's DLL into a root run (battery 25).
if ([Environment]::OSVersion.Platform -ne [PlatformID]::Win32NT) {
    & /bin/bash (Join-Path $PSScriptRoot 'build.sh') @argv
    exit $LASTEXITCODE
}
# The caller's own folder is theirs again when this ends.
Push-Location -LiteralPath $PSScriptRoot
try {
# Restores read your own NuGet config alone, into your own packages folder: NuGet merges every NuGet.Config from the
# checkout up to the drive's root (C:\NuGet.Config, a shared folder above), and `dotnet tool restore` takes its packages
# folder from them whatever --configfile says (battery 25, as build.sh does).
$nugetConfig = Join-Path $env:APPDATA 'NuGet\NuGet.Config'
if (-not (Test-Path -LiteralPath $nugetConfig)) { Push-Location -LiteralPath $HOME; try { dotnet nuget list source | Out-Null } finally { Pop-Location } }
if (-not (Test-Path -LiteralPath $nugetConfig -PathType Leaf)) { throw "build.ps1: your NuGet config $nugetConfig is missing, so nothing was restored. Fix: run 'dotnet nuget list source' once (it makes one), then run this again" }
$env:RestoreConfigFile = $nugetConfig
if (-not $env:NUGET_PACKAGES) { $env:NUGET_PACKAGES = Join-Path $env:USERPROFILE '.nuget\packages' }
dotnet tool restore --configfile $nugetConfig | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'dotnet tool restore failed' }
$out = 'artifacts/tools/flatnet'
# The library is published into the repository's own folder, never through a link (a clone may carry one): checked
# before anything is written there.
# The same for every file in it (a DLL) and for Cake's script cache in build/tools: a link committed
# there would have its target written or deleted.
$projects = @(Get-ChildItem -Directory -Path src, tests -Force | ForEach-Object { Join-Path $_.FullName 'bin'; Join-Path $_.FullName 'obj' })
$inside = @(foreach ($folder in @($out, 'build/tools/Modules', 'build/tools/cache') + $projects) {
    if (Test-Path -LiteralPath $folder) { Get-ChildItem -LiteralPath $folder -Recurse -Force -Attributes ReparsePoint | ForEach-Object { $_.FullName } }
})
foreach ($d in @('artifacts', 'artifacts/tools', $out, 'build/tools', 'build/tools/cache', 'build/tools/Modules') + $projects + $inside) {
    $item = Get-Item -LiteralPath $d -Force -ErrorAction SilentlyContinue
    if ($item -and $item.LinkType) { throw "build.ps1: $d is a link (to $($item.Target)), not a file of this repository's; nothing was written. Fix: remove it and run this again" }
}
$sources = @(Get-ChildItem -Recurse -File -Path src/Flatnet, src/Flatnet.Lab, src/Cake.Flatnet.Module -Include *.cs, *.csproj, *.props | Where-Object { $_.FullName -notmatch '[\\/](obj|bin)[\\/]' }) +
    @(Get-ChildItem -File -Path src/Flatnet.Lab/windows) +
    @(Get-Item .config/dotnet-tools.json, src/Directory.Build.props) + @(Get-ChildItem -File build/*.cake)
$lines = $sources | Sort-Object FullName | ForEach-Object { "$((Get-FileHash -Algorithm SHA256 -LiteralPath $_.FullName).Hash) $($_.FullName.Substring($PSScriptRoot.Length))" }
$sha = [System.Security.Cryptography.SHA256]::Create()
function Get-Sha256Text([string] $text) { [BitConverter]::ToString($sha.ComputeHash([Text.Encoding]::UTF8.GetBytes($text))).Replace('-', '') }
$stamp = Get-Sha256Text ($lines -join "`n")
# Only what this machine built from the sources runs, never a binary a clone or a download brought (batteries 26 and
# 27, as build.sh): git may track no build output nor tools/, and nothing runs when git cannot say; the record of what
# was built here (the sources' and the outputs' hashes, and a random token also put in the tree) lives outside the
# checkout, in your local application data. A tree without that token is new here, whatever its path: its bin/ and obj/
# are cleared and it is built from nothing, and a tools/ it came with stops it until you have looked at it.
if (Test-Path -LiteralPath '.git') {
    $tracked = @(git -c "safe.directory=$((Get-Location).ProviderPath -replace '\\', '/')" -c core.fsmonitor=false ls-files -- artifacts build/tools tools ':(glob)**/bin/**' ':(glob)**/obj/**' 2>&1)
    if ($LASTEXITCODE -ne 0) { throw "build.ps1: git cannot say which files this checkout tracks, so nothing was run: $($tracked | Select-Object -First 1). Fix: run build.ps1 where git works (git status), or from a copy without .git" }
    # ... nor any binary file, wherever it is (battery 28: a committed nebula-cert named as cert_tool, a zip as the release).
    $tracked += @(git -c "safe.directory=$((Get-Location).ProviderPath -replace '\\', '/')" -c core.fsmonitor=false ls-files --eol 2>$null | Where-Object { $_ -like 'i/-text*' } | ForEach-Object { ($_ -split "`t", 2)[1] })
    if ($tracked.Count -gt 0) { throw "build.ps1: git tracks build outputs or binary files ($(($tracked | Select-Object -First 3) -join ', ')), so nothing was run (only what this machine builds from the sources runs). Fix: git rm -r -q --cached --ignore-unmatch -- artifacts build/tools tools ':(glob)**/bin/**' ':(glob)**/obj/**'; git commit -q -m 'Build outputs are made here, not committed'; then run this again (or use a clone without them)" }
}
$built = Join-Path $env:LOCALAPPDATA 'flatnet\builds'
New-Item -ItemType Directory -Force -Path $built | Out-Null
$record = Join-Path $built (Get-Sha256Text (Get-Location).ProviderPath).Substring(0, 32)
$tokenFile = 'build/tools/.built-here'
function Get-OutputsHash {
    $files = @(foreach ($folder in @($out, 'build/tools/Modules')) { if (Test-Path -LiteralPath $folder) { Get-ChildItem -LiteralPath $folder -Recurse -File -Force } })
    Get-Sha256Text (($files | Sort-Object FullName | ForEach-Object { "$((Get-FileHash -Algorithm SHA256 -LiteralPath $_.FullName).Hash) $($_.FullName.Substring($PSScriptRoot.Length))" }) -join "`n")
}
$recorded = @(if (Test-Path -LiteralPath $record) { (Get-Content -Raw -LiteralPath $record).Trim() -split ' ' } else { @() })
$token = if ($recorded.Count -ge 3) { $recorded[2] } else { '' }
$known = $token -ne '' -and (Test-Path -LiteralPath $tokenFile -PathType Leaf) -and -not (Get-Item -LiteralPath $tokenFile -Force).LinkType -and (Get-Content -Raw -LiteralPath $tokenFile).Trim() -eq $token
# (In a git checkout, git tracks nothing in tools\ (above): what is there is yours, as README's setup puts it there.)
if (-not $known -and -not (Test-Path -LiteralPath '.git') -and (Test-Path -LiteralPath 'tools') -and @(Get-ChildItem -LiteralPath 'tools' -Force).Count -gt 0) {
    throw "build.ps1: tools\ came with this checkout, which this machine has not built yet (an archive brought it, or it was there before build.ps1 kept a record), so nothing was run: flatnet runs its programs, nebula-cert on the CA's key. Fix: Rename-Item tools tools.came-with-checkout, then run this again; afterwards put back what you have checked"
}
if (-not $known -or -not (Test-Path (Join-Path $out 'Flatnet.dll')) -or -not (Test-Path 'build/tools/Modules/Cake.Flatnet.Module/Cake.Flatnet.Module.dll') -or "$($recorded[0]) $($recorded[1])" -ne "$stamp $(Get-OutputsHash)") {
    [Console]::Error.WriteLine('build.ps1: building the flatnet library and compiling the Cake script (first run, or their source changed): about 15 to 30 s')
    # A tree new to this machine starts from nothing. Cake's compiled script was made against the library it replaces.
    $stale = @($out, 'build/tools/Modules', 'build/tools/cache', "$record.cake-cache") + $(if (-not $known) { $projects } else { @() })
    foreach ($folder in $stale) { if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force } }
    if (-not $known) { $bytes = New-Object byte[] 16; [Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes); $token = [BitConverter]::ToString($bytes).Replace('-', '').ToLowerInvariant() }
    dotnet publish src/Flatnet.Lab/Flatnet.Lab.csproj -c Release -o $out --nologo -v quiet | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "build.ps1: building the Flatnet library failed; run 'dotnet build src/Flatnet.Lab' to see why" }
    # Cake's report sized for a person: a module Cake finds in build/tools/Modules (src/Cake.Flatnet.Module).
    dotnet build src/Cake.Flatnet.Module/Cake.Flatnet.Module.csproj -c Release -o build/tools/Modules/Cake.Flatnet.Module --nologo -v quiet | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "build.ps1: building Cake's report module failed; run 'dotnet build src/Cake.Flatnet.Module' to see why" }
    # New files, renamed over the old: never written through.
    Set-Content -LiteralPath "$tokenFile.new" -Value $token
    Move-Item -LiteralPath "$tokenFile.new" -Destination $tokenFile -Force
    Set-Content -LiteralPath "$record.new" -Value "$stamp $(Get-OutputsHash) $token"
    Move-Item -LiteralPath "$record.new" -Destination $record -Force
}
$env:CAKE_SETTINGS_ENABLESCRIPTCACHE = 'true'
# Cake's folders named here, over any cake.config a clone brings (the environment wins): its compiled script beside the
# build record, outside the checkout; its modules and add-ins where this script builds them.
$env:CAKE_PATHS_CACHE = "$record.cake-cache"
$env:CAKE_PATHS_TOOLS = Join-Path $PSScriptRoot 'build/tools'
$env:CAKE_PATHS_MODULES = Join-Path $PSScriptRoot 'build/tools/Modules'
$env:CAKE_PATHS_ADDINS = Join-Path $PSScriptRoot 'build/tools/Addins'
# --help (or -h) is flatnet's, not Cake's generic usage: one target's options and an example
# (.\build.ps1 --target=Plan --help), or the list of targets.
if (@($argv | Where-Object { $_ -in '--help', '-h', '-?' }).Count -gt 0) {
    $named = @($argv | Where-Object { $_ -like '--target=*' }) + @(for ($i = 0; $i -lt $argv.Count - 1; $i++) { if ($argv[$i] -eq '--target') { "--target=$($argv[$i + 1])" } })
    $argv = @('--target=Help') + @($named | Select-Object -First 1 | ForEach-Object { "--topic=$($_.Substring(9))" })
}
# --json: Cake's own lines go to stderr and stdout carries the JSON document alone (the task writes it to the file
# FLATNET_JSON_TO names). Colours only for a person at a terminal, never in a pipe or a CI log, nor with NO_COLOR set.
# The library's rule (TaskArguments.Flag): --json, or --json=ANYTHING but false, in any case (-match ignores case).
# (`--json false`, a value in the next word as Cake reads it, is false too.)
$json = @(for ($i = 0; $i -lt $argv.Count; $i++) { $a = $argv[$i]; if (($a -match '^--json(=.*)?$' -and $a -notmatch '^--json=false$' -and -not ($a -eq '--json' -and $i + 1 -lt $argv.Count -and $argv[$i + 1] -eq 'false')) -or $a -in '--format=md', '--format=json') { $a } }).Count -gt 0
Remove-Item Env:FLATNET_JSON_TO -ErrorAction SilentlyContinue   # never one the environment brought: only the file made below
if (-not $env:NO_COLOR -and [Console]::IsOutputRedirected -and -not $json) { $env:NO_COLOR = '1' }
if (-not $json) {
    dotnet cake build/build.cake @argv
    $rc = $LASTEXITCODE
} else {
    if (-not $env:NO_COLOR -and [Console]::IsErrorRedirected) { $env:NO_COLOR = '1' }
    $env:FLATNET_JSON_TO = [IO.Path]::GetTempFileName()
    try {
        dotnet cake build/build.cake @argv | ForEach-Object { [Console]::Error.WriteLine($_) }
        $rc = $LASTEXITCODE
        # The document's bytes as the task wrote them (UTF-8): Windows PowerShell 5.1 would re-encode text it reads.
        $bytes = [IO.File]::ReadAllBytes($env:FLATNET_JSON_TO)
        $stdout = [Console]::OpenStandardOutput()
        $stdout.Write($bytes, 0, $bytes.Length)
        $stdout.Flush()
    } finally {
        Remove-Item -LiteralPath $env:FLATNET_JSON_TO -ErrorAction SilentlyContinue
    }
}
} finally {
    Pop-Location
}
exit $rc
