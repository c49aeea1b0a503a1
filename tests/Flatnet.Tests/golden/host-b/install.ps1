#Requires -RunAsAdministrator
<#
.SYNOPSIS
    install.ps1 for host-b (10.100.2.1/16): installs this bundle under the spec's layout and starts Nebula.

.DESCRIPTION
    Rendered by flatnet-automation. Run as Administrator from the unpacked bundle:
        powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\install.ps1
    Layout (the spec's): <Root>\nebula\ (nebula.exe, nebula-cert.exe), <Root>\config\nebula\ (config.yaml, ca.crt,
    host.crt, host.key), <Root>\logs\, <Root>\scripts\ (setup-routing.ps1, wsl-routing.sh).
    Logs: with service: nssm, <Root>\logs\nebula.log; with Nebula's own service, the Windows Event Log.
    Safe to re-run: an unchanged bundle changes nothing. Transactional: the new config is staged, swapped in and
    checked with `nebula.exe -test`; if the check fails the previous config is put back. Valid Windows PowerShell 5.1.

.PARAMETER Root
    Where flatnet lives on this host. Default: F:\flatnet
#>
[CmdletBinding()]
param(
    [string]$Root = 'F:\flatnet'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$HostName = 'host-b'
$ServiceName = 'nebula'
$ServiceManager = 'nebula'
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$NebulaDir = Join-Path $Root 'nebula'
$ConfigDir = Join-Path $Root 'config\nebula'
$LogsDir = Join-Path $Root 'logs'
$ScriptsDir = Join-Path $Root 'scripts'
$NebulaExe = Join-Path $NebulaDir 'nebula.exe'
$ConfigFile = Join-Path $ConfigDir 'config.yaml'
$LogFile = Join-Path $LogsDir 'nebula.log'
$RoutingTask = 'flatnet routing'

function Stop-Install([string]$Message) { throw "install.ps1 (${HostName}): $Message" }

# 1. The bundle must be exactly what flatnet packed.
$manifest = Get-Content -Raw -Path (Join-Path $Here 'manifest.json') | ConvertFrom-Json
foreach ($file in $manifest.files) {
    $path = Join-Path $Here ($file.path -replace '/', '\')
    if (-not (Test-Path -LiteralPath $path)) { Stop-Install "bundle is incomplete: $($file.path) is missing; fetch the bundle again" }
    $hash = (Get-FileHash -Algorithm SHA256 -LiteralPath $path).Hash.ToLowerInvariant()
    if ($hash -ne $file.sha256) { Stop-Install "bundle is damaged: $($file.path) does not match manifest.json; fetch the bundle again" }
}

# 2. Folders and binaries.
foreach ($dir in @($NebulaDir, (Split-Path -Parent $ConfigDir), $LogsDir, $ScriptsDir)) {
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
}
if (Test-Path -LiteralPath (Join-Path $Here 'nebula\nebula.exe')) {
    Copy-Item -Force -Path (Join-Path $Here 'nebula\*.exe') -Destination $NebulaDir
}
if (-not (Test-Path -LiteralPath $NebulaExe)) {
    Stop-Install "$NebulaExe is missing. Copy nebula.exe and nebula-cert.exe there (from Host A or Nebula's release), or set nebula.windows.binaries in hosts/network.yaml so bundles carry them."
}
Copy-Item -Force -Path (Join-Path $Here 'scripts\*') -Destination $ScriptsDir

# 3. Stage the config beside the live one; unchanged means nothing to do.
$stage = "$ConfigDir.new"
if (Test-Path -LiteralPath $stage) { Remove-Item -Recurse -Force -LiteralPath $stage }
New-Item -ItemType Directory -Force -Path $stage | Out-Null
foreach ($name in @('config.yaml', 'ca.crt', 'host.crt', 'host.key')) {
    $source = Join-Path $Here $name
    if (-not (Test-Path -LiteralPath $source) -and $name -eq 'host.key') { $source = Join-Path $ConfigDir $name }
    if (-not (Test-Path -LiteralPath $source)) { Stop-Install "no $name in the bundle or in $ConfigDir; for a key made on this host run nebula-cert keygen first" }
    Copy-Item -Force -LiteralPath $source -Destination (Join-Path $stage $name)
}
# Nebula's admin interface (127.0.0.1 only) needs an SSH host key: made here once, kept across installs, never sent anywhere.
$AdminKeyName = 'admin_host_ed25519'
$adminKey = Join-Path $stage $AdminKeyName
if (Test-Path -LiteralPath (Join-Path $ConfigDir $AdminKeyName)) {
    Copy-Item -Force -LiteralPath (Join-Path $ConfigDir $AdminKeyName) -Destination $adminKey
} else {
    $keygen = Join-Path $env:WINDIR 'System32\OpenSSH\ssh-keygen.exe'
    if (-not (Test-Path -LiteralPath $keygen)) { Stop-Install "$keygen is missing; add Windows' OpenSSH Client (Settings > Optional features), which makes the host key of Nebula's admin interface" }
    # One verbatim command line: Windows PowerShell 5.1 would drop the empty passphrase if it were passed as an argument of its own.
    $made = Start-Process -FilePath $keygen -ArgumentList "-q -t ed25519 -N `"`" -C nebula-admin -f `"$adminKey`"" -NoNewWindow -Wait -PassThru
    if ($made.ExitCode -ne 0 -or -not (Test-Path -LiteralPath $adminKey)) { Stop-Install "ssh-keygen.exe could not make the admin interface's host key (exit $($made.ExitCode))" }
    Remove-Item -Force -LiteralPath "$adminKey.pub" -ErrorAction SilentlyContinue
}
$same = $true
foreach ($name in @('config.yaml', 'ca.crt', 'host.crt', 'host.key')) {
    $live = Join-Path $ConfigDir $name
    if (-not (Test-Path -LiteralPath $live)) { $same = $false; break }
    if ((Get-FileHash -LiteralPath $live).Hash -ne (Get-FileHash -LiteralPath (Join-Path $stage $name)).Hash) { $same = $false; break }
}
$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($null -ne $service) {
    # Another program may own a service called "nebula" (one vendor's camera software does): never take it over.
    $registered = Get-CimInstance -ClassName Win32_Service -Filter "Name='$ServiceName'"
    $expected = if ($ServiceManager -eq 'nssm') { 'nssm' } else { $NebulaExe }
    if ($null -ne $registered -and "$($registered.PathName)" -notlike "*$expected*") {
        Stop-Install "a service named '$ServiceName' already exists and runs '$($registered.PathName)', not flatnet's Nebula. Remove it (sc.exe delete $ServiceName) if it is a stale Nebula, or rename the other program's service."
    }
}
if ($same -and $null -ne $service -and $service.Status -eq 'Running') {
    Remove-Item -Recurse -Force -LiteralPath $stage
    Write-Output "unchanged: $HostName already has this bundle"
} else {
    if (-not $same) {
        $old = "$ConfigDir.old"
        if (Test-Path -LiteralPath $old) { Remove-Item -Recurse -Force -LiteralPath $old }
        if (Test-Path -LiteralPath $ConfigDir) { Move-Item -LiteralPath $ConfigDir -Destination $old }
        Move-Item -LiteralPath $stage -Destination $ConfigDir
        $test = & $NebulaExe -test -config $ConfigFile 2>&1
        if ($LASTEXITCODE -ne 0) {
            Remove-Item -Recurse -Force -LiteralPath $ConfigDir
            if (Test-Path -LiteralPath $old) { Move-Item -LiteralPath $old -Destination $ConfigDir }
            Stop-Install "nebula.exe -test refused the new config; the previous one is back in place. nebula said: $($test | Select-Object -Last 3)"
        }
        if (Test-Path -LiteralPath $old) { Remove-Item -Recurse -Force -LiteralPath $old }
        Write-Output "installed: config for $HostName in $ConfigDir"
    } else {
        Remove-Item -Recurse -Force -LiteralPath $stage
    }
    # host.key: only Administrators and SYSTEM may read it.
    & icacls.exe (Join-Path $ConfigDir 'host.key') /inheritance:r /grant:r 'Administrators:F' 'SYSTEM:F' | Out-Null
    & icacls.exe (Join-Path $ConfigDir $AdminKeyName) /inheritance:r /grant:r 'Administrators:F' 'SYSTEM:F' | Out-Null

    # 4. The service: restarts on failure, as the spec's checklist asks.
    if ($null -eq $service) {
        if ($ServiceManager -eq 'nssm') {
            # NSSM captures Nebula's output into the spec's log file.
            & nssm.exe install $ServiceName $NebulaExe -config $ConfigFile | Out-Null
            & nssm.exe set $ServiceName AppStdout $LogFile | Out-Null
            & nssm.exe set $ServiceName AppStderr $LogFile | Out-Null
        } else {
            # Nebula's own service logs to the Windows Event Log, not to a file.
            & $NebulaExe -service install -config $ConfigFile | Out-Null
        }
        if ($LASTEXITCODE -ne 0) { Stop-Install "registering the $ServiceName service with $ServiceManager failed (exit $LASTEXITCODE)" }
        & sc.exe failure $ServiceName reset= 86400 actions= restart/5000/restart/5000/restart/5000 | Out-Null
        Start-Service -Name $ServiceName
        Write-Output "started: service $ServiceName ($ServiceManager)"
    } else {
        Restart-Service -Name $ServiceName
        Write-Output "restarted: service $ServiceName"
    }
}

# 5. Routing for WSL2 (needs the Nebula adapter, so after the service), now and at every logon: WSL2 gets a new
#    address each time it starts. WSL distros belong to a user, so the task runs as the installing user, elevated.
& (Join-Path $ScriptsDir 'setup-routing.ps1')
if ($null -eq (Get-ScheduledTask -TaskName $RoutingTask -ErrorAction SilentlyContinue)) {
    # -Watch keeps it running, so a WSL2 restart (new address) is repaired within seconds, not at the next logon.
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$(Join-Path $ScriptsDir 'setup-routing.ps1')`" -Watch"
    $trigger = New-ScheduledTaskTrigger -AtLogOn -User $env:USERNAME
    $principal = New-ScheduledTaskPrincipal -UserId $env:USERNAME -LogonType Interactive -RunLevel Highest
    $settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 3 -RestartInterval (New-TimeSpan -Minutes 1)
    Register-ScheduledTask -TaskName $RoutingTask -Action $action -Trigger $trigger -Principal $principal -Settings $settings | Out-Null
    Write-Output "registered: scheduled task '$RoutingTask' (keeps routing on WSL2's current address, from logon on)"
}
