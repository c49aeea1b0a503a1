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
    checked with `nebula.exe -test`; the previous config and binaries are kept until the service runs the new ones
    (state Running and its adapter present) and put back otherwise. Valid Windows PowerShell 5.1.

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
$TunDevice = 'nebula1'

function Stop-Install([string]$Message) { throw "install.ps1 (${HostName}): $Message" }

# The service called nebula is flatnet's only when it runs flatnet's nebula.exe (or nssm): another program may own a
# service of that name (one vendor's camera software does), and such a service is never taken over or removed.
# Returns what that other service runs, or $null.
function Get-ForeignNebulaService {
    $registered = Get-CimInstance -ClassName Win32_Service -Filter "Name='$ServiceName'"
    $expected = if ($ServiceManager -eq 'nssm') { 'nssm' } else { $NebulaExe }
    if ($null -ne $registered -and "$($registered.PathName)" -notlike "*$expected*") { return "$($registered.PathName)" }
    return $null
}

# 1. The bundle must be exactly what flatnet packed.
$manifest = Get-Content -Raw -Path (Join-Path $Here 'manifest.json') | ConvertFrom-Json
foreach ($file in $manifest.files) {
    $path = Join-Path $Here ($file.path -replace '/', '\')
    if (-not (Test-Path -LiteralPath $path)) { Stop-Install "bundle is incomplete: $($file.path) is missing; fetch the bundle again" }
    $hash = (Get-FileHash -Algorithm SHA256 -LiteralPath $path).Hash.ToLowerInvariant()
    if ($hash -ne $file.sha256) { Stop-Install "bundle is damaged: $($file.path) does not match manifest.json; fetch the bundle again" }
}

# 2. Folders, and what the bundle ships of Nebula's Windows release (nebula.exe, nebula-cert.exe, wintun.dll). A
#    running executable cannot be overwritten on Windows, so binaries are compared first and replaced only when they
#    differ, with the service stopped; the previous ones are kept until the new ones run.
foreach ($dir in @($NebulaDir, (Split-Path -Parent $ConfigDir), $LogsDir, $ScriptsDir)) {
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
}
$shippedRoot = Join-Path $Here 'nebula'
$shipped = @()
if (Test-Path -LiteralPath $shippedRoot) {
    foreach ($file in @(Get-ChildItem -Recurse -File -LiteralPath $shippedRoot)) {
        $target = Join-Path $NebulaDir $file.FullName.Substring($shippedRoot.Length).TrimStart('\', '/')
        if (-not (Test-Path -LiteralPath $target) -or (Get-FileHash -LiteralPath $target).Hash -ne (Get-FileHash -LiteralPath $file.FullName).Hash) {
            $shipped += [pscustomobject]@{ Source = $file.FullName; Target = $target }
        }
    }
}
if (-not (Test-Path -LiteralPath $NebulaExe) -and $shipped.Count -eq 0) {
    Stop-Install "$NebulaExe is missing. Set nebula.windows.release in hosts/network.yaml to Nebula's Windows release zip, so bundles carry nebula.exe, nebula-cert.exe and wintun.dll."
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
$same = $shipped.Count -eq 0
foreach ($name in @('config.yaml', 'ca.crt', 'host.crt', 'host.key')) {
    $live = Join-Path $ConfigDir $name
    if (-not (Test-Path -LiteralPath $live)) { $same = $false; break }
    if ((Get-FileHash -LiteralPath $live).Hash -ne (Get-FileHash -LiteralPath (Join-Path $stage $name)).Hash) { $same = $false; break }
}
$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($null -ne $service) {
    $foreign = Get-ForeignNebulaService
    if ($foreign) {
        Stop-Install "a service named '$ServiceName' already exists and runs '$foreign', not flatnet's Nebula. Remove it (sc.exe delete $ServiceName) if it is a stale Nebula, or rename the other program's service."
    }
}

# Owner-only by well-known SID (Administrators S-1-5-32-544, SYSTEM S-1-5-18): group names differ by language.
function Set-OwnerOnly([string]$Path) {
    $out = & icacls.exe $Path /inheritance:r /grant:r '*S-1-5-32-544:F' '*S-1-5-18:F' 2>&1
    if ($LASTEXITCODE -ne 0) { Stop-Install "icacls.exe could not restrict $Path (exit $LASTEXITCODE): $out" }
}

# Running means: the service says Running, and Nebula's adapter exists (it is made only once wintun.dll loads).
function Wait-Nebula {
    for ($i = 0; $i -lt 20; $i++) {
        $s = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
        if ($null -ne $s -and "$($s.Status)" -eq 'Running' -and $null -ne (Get-NetIPInterface -InterfaceAlias $TunDevice -ErrorAction SilentlyContinue)) { return $null }
        Start-Sleep -Milliseconds 500
    }
    if ($null -eq $s) { return "the $ServiceName service does not exist" }
    if ("$($s.Status)" -ne 'Running') { return "the $ServiceName service is $($s.Status)" }
    "the service runs but the adapter '$TunDevice' did not appear (wintun.dll missing or refused?)"
}

$oldConfig = "$ConfigDir.old"
$oldBinaries = "$NebulaDir.old"
function Restore-Previous {
    if (Test-Path -LiteralPath $oldConfig) {
        if (Test-Path -LiteralPath $ConfigDir) { Remove-Item -Recurse -Force -LiteralPath $ConfigDir }
        Move-Item -LiteralPath $oldConfig -Destination $ConfigDir
    }
    foreach ($file in $shipped) {
        $kept = Join-Path $oldBinaries $file.Target.Substring($NebulaDir.Length).TrimStart('\', '/')
        if (Test-Path -LiteralPath $kept) { Copy-Item -Force -LiteralPath $kept -Destination $file.Target }
    }
}

if ($same -and $null -ne $service -and "$($service.Status)" -eq 'Running') {
    Remove-Item -Recurse -Force -LiteralPath $stage
    Write-Output "unchanged: $HostName already has this bundle"
} else {
    foreach ($old in @($oldConfig, $oldBinaries)) { if (Test-Path -LiteralPath $old) { Remove-Item -Recurse -Force -LiteralPath $old } }
    $stopped = $false
    if ($shipped.Count -gt 0) {
        if ($null -ne $service -and "$($service.Status)" -ne 'Stopped') { Stop-Service -Name $ServiceName; $stopped = $true }
        foreach ($file in $shipped) {
            if (Test-Path -LiteralPath $file.Target) {
                $kept = Join-Path $oldBinaries $file.Target.Substring($NebulaDir.Length).TrimStart('\', '/')
                New-Item -ItemType Directory -Force -Path (Split-Path -Parent $kept) | Out-Null
                Copy-Item -Force -LiteralPath $file.Target -Destination $kept
            }
            New-Item -ItemType Directory -Force -Path (Split-Path -Parent $file.Target) | Out-Null
            Copy-Item -Force -LiteralPath $file.Source -Destination $file.Target
        }
        Write-Output "installed: Nebula's binaries ($($shipped.Count) file(s)) in $NebulaDir"
    }
    if (Test-Path -LiteralPath $ConfigDir) { Move-Item -LiteralPath $ConfigDir -Destination $oldConfig }
    Move-Item -LiteralPath $stage -Destination $ConfigDir
    $test = & $NebulaExe -test -config $ConfigFile 2>&1
    if ($LASTEXITCODE -ne 0) {
        Restore-Previous
        if ($stopped) { Start-Service -Name $ServiceName }
        Stop-Install "nebula.exe -test refused the new config; the previous one is back in place. nebula said: $($test | Select-Object -Last 3)"
    }
    Write-Output "installed: config for $HostName in $ConfigDir"
    Set-OwnerOnly (Join-Path $ConfigDir 'host.key')
    Set-OwnerOnly (Join-Path $ConfigDir $AdminKeyName)

    # 4. The service: restarts on failure, as the spec's checklist asks. Judged by its state, never by exit codes:
    #    `nebula.exe -service install` exits 1 after registering the service in every release before 1.11.0
    #    (cmd/nebula-service/main.go: doService(...); os.Exit(1)).
    if ($null -eq $service) {
        $said = ''
        if ($ServiceManager -eq 'nssm') {
            # NSSM captures Nebula's output into the spec's log file.
            & nssm.exe install $ServiceName $NebulaExe -config $ConfigFile | Out-Null
            & nssm.exe set $ServiceName AppStdout $LogFile | Out-Null
            & nssm.exe set $ServiceName AppStderr $LogFile | Out-Null
        } else {
            # Nebula's own service logs to the Windows Event Log, not to a file.
            $said = & $NebulaExe -service install -config $ConfigFile 2>&1
        }
        if ($null -eq (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)) {
            Restore-Previous
            Stop-Install "registering the $ServiceName service with $ServiceManager did not create it (exit $LASTEXITCODE): $said"
        }
        $out = & sc.exe failure $ServiceName reset= 86400 actions= restart/5000/restart/5000/restart/5000
        if ($LASTEXITCODE -ne 0) { Stop-Install "sc.exe failure could not set restart-on-failure for $ServiceName (exit $LASTEXITCODE): $out" }
        Start-Service -Name $ServiceName
        $verb = 'started'
    } else {
        Restart-Service -Name $ServiceName
        $verb = 'restarted'
    }
    $why = Wait-Nebula
    if ($null -ne $why) {
        Restore-Previous
        Restart-Service -Name $ServiceName -ErrorAction SilentlyContinue
        Stop-Install "the new bundle did not run: $why. The previous config and binaries are back and the service was restarted with them; see the Windows Event Log (Application, source nebula)."
    }
    foreach ($old in @($oldConfig, $oldBinaries)) { if (Test-Path -LiteralPath $old) { Remove-Item -Recurse -Force -LiteralPath $old } }
    Write-Output $(if ($verb -eq 'started') { "started: service $ServiceName ($ServiceManager)" } else { "restarted: service $ServiceName" })
}

# 5. Routing for WSL2 (needs the Nebula adapter, so after the service), now and from logon on: WSL2 gets a new
#    address each time it starts. WSL distros and WSL's NAT belong to one Windows account (wsl_user in the
#    inventory, else the account flatnet logs in as), so the watcher task runs as that account, elevated.
$WslUser = 'flatnet'
& wsl.exe --version 2>&1 | Out-Null
if ($LASTEXITCODE -ne 0) {
    Stop-Install "this Windows has the inbox WSL, which an SSH session cannot start; install WSL 2.0 or later from the Microsoft Store (wsl.exe --update), then re-run"
}
if ($WslUser -eq $env:USERNAME) {
    # wsl.exe writes UTF-16; Windows PowerShell 5.1 reads it as bytes, hence the NULs to drop.
    $distros = @(& wsl.exe -l -q 2>$null | ForEach-Object { "$_".Replace([string][char]0, '').Trim() } | Where-Object { $_ })
    if ($distros.Count -eq 0) { Stop-Install "$WslUser has no WSL distro; install one as $WslUser (wsl.exe --install -d Ubuntu), or set wsl_user: in hosts/$HostName.yaml to the account that has it" }
} else {
    Write-Output "note: WSL belongs to $WslUser, not $($env:USERNAME): its distros are not checked from here; the routing watcher runs as $WslUser"
}
& (Join-Path $ScriptsDir 'setup-routing.ps1')
# -Watch keeps it running, so a WSL2 restart (new address) is repaired within seconds. Task Scheduler's defaults
# would not start it on battery and would stop it when a laptop unplugs (New-ScheduledTaskSettingsSet), so say otherwise.
$taskArgument = "-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$(Join-Path $ScriptsDir 'setup-routing.ps1')`" -Watch"
$task = Get-ScheduledTask -TaskName $RoutingTask -ErrorAction SilentlyContinue
$current = $null -ne $task -and "$(@($task.Actions)[0].Arguments)" -eq $taskArgument -and "$($task.Principal.UserId)" -eq $WslUser -and
    -not $task.Settings.DisallowStartIfOnBatteries -and -not $task.Settings.StopIfGoingOnBatteries
if (-not $current) {
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $taskArgument
    $trigger = New-ScheduledTaskTrigger -AtLogOn -User $WslUser
    $principal = New-ScheduledTaskPrincipal -UserId $WslUser -LogonType Interactive -RunLevel Highest
    $settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 3 -RestartInterval (New-TimeSpan -Minutes 1)
    Register-ScheduledTask -Force -TaskName $RoutingTask -Action $action -Trigger $trigger -Principal $principal -Settings $settings | Out-Null
    Start-ScheduledTask -TaskName $RoutingTask
    Write-Output "registered: scheduled task '$RoutingTask' (keeps routing on WSL2's current address; running now and from logon on)"
} elseif ("$($task.State)" -ne 'Running') {
    Start-ScheduledTask -TaskName $RoutingTask
    Write-Output "started: scheduled task '$RoutingTask'"
}

# 6. Done: what runs now is this bundle (flatnet records it once routing is in place too). The uploaded copy, which
#    may hold host.key, is deleted when flatnet put it there; a bundle unpacked by hand is left to its owner.
Copy-Item -Force -LiteralPath (Join-Path $Here 'manifest.json') -Destination (Join-Path $Root 'installed-manifest.pending.json')
$incoming = Join-Path $Root 'incoming\bundle'
if ((Test-Path -LiteralPath $incoming) -and ((Resolve-Path -LiteralPath $Here).Path -eq (Resolve-Path -LiteralPath $incoming).Path)) {
    Remove-Item -Recurse -Force -LiteralPath $incoming
} elseif (Test-Path -LiteralPath (Join-Path $Here 'host.key')) {
    Write-Output "note: $(Join-Path $Here 'host.key') is a copy of this host's private key; delete it (the installed one is in $ConfigDir)"
}
