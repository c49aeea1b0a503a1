<#
.SYNOPSIS
    flatnet-doctor.ps1 for host-b: checks, in order and changing nothing, what host-b needs to be in the mesh.

.DESCRIPTION
    Rendered by flatnet-automation. Run it first when anything fails, as Administrator:
        powershell.exe -NoProfile -ExecutionPolicy Bypass -File F:\flatnet\scripts\flatnet-doctor.ps1
    Every line is ok, warn or FAIL, and a FAIL says what to do. The findings also go to logs\doctor.json.
    Valid Windows PowerShell 5.1; it only reads.

.PARAMETER Machine
    One tab-separated line per check (status, check, detail, fix), for the build machine's Doctor target.

.PARAMETER Root
    Where flatnet lives on this host. Default: F:\flatnet
#>
[CmdletBinding()]
param([switch]$Machine, [string]$Root = 'F:\flatnet')
$ErrorActionPreference = 'Continue'
Set-StrictMode -Version 2.0

$NebulaExe = Join-Path $Root 'nebula\nebula.exe'
$TunDevice = 'nebula1'
$Mtu = 1300
$Lighthouses = @('10.100.0.1')
$Peers = @('10.100.1.1', '10.100.3.1')
$NebulaRule = 'flatnet: Nebula UDP 4242'
$OwnBlock = '10.101.2.0/24'
$WslAddress = '10.101.2.1'
$WslArgs = @('-u', 'root')
# WSL is its owner's: only the questions put to wsl.exe run as it (_wsl-owner.ps1.scriban); the rest is read here.
$WslUser = 'flatnet'
$WslOwnerStaging = [IO.Path]::Combine($Root, 'run')
# WSL belongs to one Windows account: its distros and its VM are that account's, and wsl.exe run as another account
# (the one flatnet logs in as) sees none of them. Only the questions put to wsl.exe therefore run as the owner: here
# when this is the owner's session, else as a one-shot scheduled task in the owner's interactive session (WSL runs
# there), with the owner's own token (RunLevel Limited: the owner may be a standard user), waited for, its output
# and exit code handed back as if it had run here. Routes, forwarding and the firewall stay with the administrator or
# SYSTEM that runs the calling script. The owner must be logged on (a locked screen is enough): Task Scheduler runs
# an Interactive task only in an existing session of its user (docs/windows-contract.md).
# The caller sets $WslOwnerStaging: a folder under the install root, which only administrators and SYSTEM can write.
# Nothing is staged under %ProgramData%, where any user can make a folder first and own it.

# Whether an account has an interactive session here (its own explorer.exe): tasks that run as it in its session
# (LogonType Interactive) start only then.
function Test-LoggedOn([string]$Account) {
    $name = $Account.Split('\')[-1]
    @(Get-CimInstance -ClassName Win32_Process -Filter "Name = 'explorer.exe'" | Invoke-CimMethod -MethodName GetOwner | ForEach-Object { "$($_.User)" }) -contains $name
}

# A task left by a run that was killed (its folder older than any run may last, or gone) is stopped, then removed:
# Unregister-ScheduledTask alone leaves a running instance running.
# A folder WSL's owner may write in (and so put a junction in) goes by Remove-Tree (_native), never Remove-Item -Recurse.
function Remove-OwnerFolder([string]$Dir) { try { Remove-Tree $Dir } catch { } }

function Remove-StaleOwnerTasks([string]$Staging, [int]$OlderThanSeconds) {
    foreach ($task in @(Get-ScheduledTask -TaskName 'flatnet as WSL owner *' -ErrorAction SilentlyContinue)) {
        $dir = Join-Path $Staging ('owner-' + "$($task.TaskName)".Split(' ')[-1])
        if ((Test-Path -LiteralPath $dir) -and (Get-Item -LiteralPath $dir).CreationTime -gt (Get-Date).AddSeconds(-$OlderThanSeconds)) { continue }
        Stop-ScheduledTask -TaskName $task.TaskName -ErrorAction SilentlyContinue
        Unregister-ScheduledTask -TaskName $task.TaskName -Confirm:$false -ErrorAction SilentlyContinue
        Remove-OwnerFolder $dir
    }
}

function Invoke-AsWslOwner {
    param([Parameter(Mandatory)][string]$Owner, [Parameter(Mandatory)][string]$Script, [int]$TimeoutSeconds = 120)
    $ownerName = $Owner.Split('\')[-1]
    if ($ownerName -eq $env:USERNAME) {
        & ([scriptblock]::Create($Script))
        return
    }
    if (-not (Test-LoggedOn $Owner)) {
        throw "WSL belongs to $Owner, who is not logged on to this PC, and WSL runs in its owner's session: log on as $Owner (a locked screen is enough) and run again, or make the account flatnet logs in as the owner of WSL (deploy.user: $ownerName)"
    }
    if (-not (Test-Path -LiteralPath (Split-Path -Parent $WslOwnerStaging))) {
        throw "the install root $(Split-Path -Parent $WslOwnerStaging) is not there yet: deploy the bundle first (AddHost or DeployHost)"
    }
    # The staging folder: Administrators and SYSTEM only (no one else may even read what the owner's task runs).
    New-ProtectedFolder $WslOwnerStaging $AdminOnlySddl
    Remove-StaleOwnerTasks $WslOwnerStaging ($TimeoutSeconds * 2)
    # This run's own folder, made here (so nobody made it first), then given a fresh ACL: its inherited entries go,
    # Administrators and SYSTEM keep full control, and the owner may write the output there.
    $id = [guid]::NewGuid().ToString('N')
    $dir = Join-Path $WslOwnerStaging "owner-$id"
    New-Item -ItemType Directory -Path $dir | Out-Null
    $out = Invoke-Native icacls.exe @($dir, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F', "${Owner}:(OI)(CI)M")
    if ($LASTEXITCODE -ne 0) { Remove-OwnerFolder $dir; throw "icacls.exe could not give $Owner its folder ${dir}: $out" }
    $inner = Join-Path $dir 'run.ps1'
    $wrapper = Join-Path $dir 'task.ps1'
    $output = Join-Path $dir 'output.txt'
    $done = Join-Path $dir 'exit.txt'
    # Its exit code is its own `exit`, else its last native command's, as when it runs here.
    Set-Content -LiteralPath $inner -Encoding UTF8 -Value ($Script + "`nexit `$LASTEXITCODE")
    # The task's own script: the work, its output (every stream, as text) and its exit code, written to a temporary
    # name and then renamed, so this session never reads a half-written code.
    Set-Content -LiteralPath $wrapper -Encoding UTF8 -Value @(
        '$ErrorActionPreference = ''Continue''',
        '$global:LASTEXITCODE = 0',
        "try { & '$inner' *>&1 | ForEach-Object { `"`$_`" } | Set-Content -LiteralPath '$output' -Encoding UTF8; `$code = `$LASTEXITCODE }",
        "catch { `"`$_`" | Add-Content -LiteralPath '$output' -Encoding UTF8; `$code = 1 }",
        "Set-Content -LiteralPath '$done.tmp' -Value `$code",
        "Move-Item -Force -LiteralPath '$done.tmp' -Destination '$done'")
    $name = "flatnet as WSL owner $id"
    $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$wrapper`""
    $principal = New-ScheduledTaskPrincipal -UserId $Owner -LogonType Interactive -RunLevel Limited
    $settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -ExecutionTimeLimit (New-TimeSpan -Seconds $TimeoutSeconds)
    Register-ScheduledTask -TaskName $name -Action $action -Principal $principal -Settings $settings | Out-Null
    try {
        Start-ScheduledTask -TaskName $name
        $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
        while (-not (Test-Path -LiteralPath $done) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 200 }
        if (-not (Test-Path -LiteralPath $done)) {
            throw "the task that runs as $Owner (WSL's owner) did not finish within $TimeoutSeconds s; is $Owner logged on?"
        }
        if (Test-Path -LiteralPath $output) { Get-Content -LiteralPath $output }
        $global:LASTEXITCODE = [int]"$(Get-Content -LiteralPath $done)".Trim()
    } finally {
        Stop-ScheduledTask -TaskName $name -ErrorAction SilentlyContinue
        Unregister-ScheduledTask -TaskName $name -Confirm:$false -ErrorAction SilentlyContinue
        Remove-OwnerFolder $dir
    }
}

# wsl.exe with these arguments, as WSL's owner: its output, and its exit code in $LASTEXITCODE.
function Invoke-Wsl {
    param([Parameter(Mandatory)][string]$Owner, [Parameter(Mandatory)][string[]]$Arguments)
    Invoke-AsWslOwner -Owner $Owner -Script ("& wsl.exe " + (($Arguments | ForEach-Object { "'" + "$_".Replace("'", "''") + "'" }) -join ' '))
}

# WSL as an SSH session can start it: Store WSL 2.0 or later. Store WSL prints its version first (in the system's
# language: the number is what counts); the inbox WSL knows no --version, and Store WSL 1.x has one but cannot be
# started from an SSH session either. The problem in words, or $null.
function Get-WslVersionProblem {
    $wslVersion = "$(Invoke-Native wsl.exe @('--version') | Select-Object -First 1)".Replace([string][char]0, '')
    if ($LASTEXITCODE -ne 0 -or $wslVersion -notmatch '(\d+)\.\d+\.\d+') {
        return "this Windows has the inbox WSL, which an SSH session cannot start; install WSL 2.0 or later from the Microsoft Store (wsl.exe --update)"
    }
    if ([int]$Matches[1] -lt 2) { return "WSL $($Matches[0]) is installed; an SSH session needs WSL 2.0 or later: run wsl.exe --update" }
    $null
}



# A native program's output and its stderr, as text lines, never as errors: with ErrorActionPreference Stop,
# Windows PowerShell 5.1 turns any stderr line of a native command whose stderr is redirected (2>&1, 2>$null) into
# a terminating error (PowerShell 7 changed that, PR #13361), so a friendly message after it would never be reached.
# $LASTEXITCODE is the program's.
function Invoke-Native {
    param([Parameter(Mandatory)][string]$FilePath, [object[]]$ArgumentList = @())
    $ErrorActionPreference = 'Continue'
    & $FilePath @ArgumentList 2>&1 | ForEach-Object { "$_" }
}

# A folder and everything in it, never what a link in it leads to: Windows PowerShell 5.1's Remove-Item -Recurse
# descends into a junction (PowerShell/PowerShell#621), and any account may make one (mklink /J, no privilege), so an
# administrator's delete would empty the folder it points at. .NET's Directory.Delete removes a reparse point itself
# and never recurses through one, the folder given included (reference source Directory.InternalDelete/DeleteHelper).
function Remove-Tree([string]$Path) {
    if (Test-Path -LiteralPath $Path) { [IO.Directory]::Delete($Path, $true) }
}

# A folder made with its final ACL in the call that creates it, from an SDDL string (owner, then a protected DACL):
# .NET Framework's DirectoryInfo.Create(DirectorySecurity), which Windows PowerShell 5.1 runs on. A folder made
# first and restricted after has its parent's ACL for a moment (a drive root's lets Authenticated Users modify), and
# a handle opened in that moment keeps the access it was granted (rights are checked when a handle is opened).
# Missing folders above it get the same ACL; a folder already there is left as it is, for the caller to check.
$AdminOnlySddl = 'O:BAD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)' # owner Administrators (BA); inheritance off (P); BA and SYSTEM (SY) full control (FA), inherited below (OICI)
function New-ProtectedFolder([string]$Path, [string]$Sddl) {
    if (Test-Path -LiteralPath $Path) { return }
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetSecurityDescriptorSddlForm($Sddl)
    (New-Object System.IO.DirectoryInfo $Path).Create($security)
}

# Whether this host's Nebula lets its own traffic past Windows Defender Firewall: from 1.11.0, WFP permit filters on
# its adapter and its listen port do (tun.windows_bypass_wdf, listen.windows_bypass_wdf, on by default; slackhq/nebula
# CHANGELOG 1.11.0, #1710), and Windows Firewall rules no longer decide what reaches it. Asked from nebula.exe itself.
# Asked once per run.
$script:NebulaBypassesWdf = $null
function Test-NebulaBypassesWdf {
    if ($null -ne $script:NebulaBypassesWdf) { return $script:NebulaBypassesWdf }
    $exe = [IO.Path]::Combine($Root, 'nebula', 'nebula.exe')
    $version = if (Test-Path -LiteralPath $exe) { "$(Invoke-Native $exe @('-version') | Select-Object -First 1)" } else { '' }
    $script:NebulaBypassesWdf = $version -match '(\d+)\.(\d+)\.\d+' -and ([int]$Matches[1] -gt 1 -or [int]$Matches[2] -ge 11)
    $script:NebulaBypassesWdf
}

# The mesh's names in Windows' hosts file (%SystemRoot%\System32\drivers\etc\hosts): flatnet's block, between its
# BEGIN and END lines, replaced as a whole. Every other byte stays as it was: the file is read and written as
# Latin-1, which maps each byte to one character and back, whatever code page it was saved in (the DNS Client reads
# it as ANSI; Out-File's UTF-16 would break every entry). Written in place (opened, truncated, written), so its ACL,
# owner and attributes stay; a read-only hosts file (a security tool's attrib +r) is reported, not forced. The DNS
# Client rereads the file on its own; its cache may still hold "no such name" for a name looked up before, so it is
# cleared (Clear-DnsClientCache). Mode: Set, Check (changes nothing; returns what is missing) or Remove.
function Set-MeshNames([string]$Mode = 'Set', [string]$Block = '') {
    if (-not $env:SystemRoot) { return "warning: names: %SystemRoot% is not set, so Windows' hosts file is unknown; names are not written" }
    $file = [IO.Path]::Combine($env:SystemRoot, 'System32', 'drivers', 'etc', 'hosts')
    if ($Mode -ne 'Remove' -and -not (Test-Path -LiteralPath $Block -PathType Leaf)) { return "warning: names: $Block is missing, so the names in $file stay as they are" }
    $latin1 = [Text.Encoding]::GetEncoding(28591)
    $names = if ($Mode -eq 'Remove') { '' } else { [IO.File]::ReadAllText($Block, $latin1) }
    $count = @($names -split "`n" | Where-Object { $_.Trim() -and -not $_.StartsWith('#') }).Count
    $exists = Test-Path -LiteralPath $file -PathType Leaf
    if (-not $exists -and ($Mode -eq 'Remove' -or $count -eq 0)) { return }
    $item = if ($exists) { Get-Item -Force -LiteralPath $file } else { $null }
    if ($null -ne $item -and ($item.Attributes -band [IO.FileAttributes]::ReparsePoint)) { return "warning: names: $file is a link (another tool keeps it), so flatnet does not write its names there" }
    $text = if ($exists) { [IO.File]::ReadAllText($file, $latin1) } else { '' }
    # A hosts file saved as UTF-16 (its byte order mark, as Latin-1): single-byte lines appended to it would make a mixed file.
    if ($text.StartsWith([string][char]0xFF + [char]0xFE) -or $text.StartsWith([string][char]0xFE + [char]0xFF)) {
        return "warning: names: $file is saved as UTF-16, which Windows' DNS Client does not read as names; save it as ANSI (Notepad: Save as, Encoding ANSI), then install again"
    }
    $begins = [regex]::Matches($text, '(?m)^# BEGIN flatnet names').Count
    $ends = [regex]::Matches($text, '(?m)^# END flatnet names').Count
    $inOrder = $begins -eq 0 -or [regex]::Match($text, '(?m)^# BEGIN flatnet names').Index -lt [regex]::Match($text, '(?m)^# END flatnet names').Index
    if ($begins -ne $ends -or $begins -gt 1 -or -not $inOrder) { return "warning: names: $file has flatnet's BEGIN and END lines out of pairs or out of order ($begins BEGIN, $ends END); remove flatnet's BEGIN and END lines by hand (and flatnet's names beside them), then install again" }
    $want = [regex]::Replace($text, '(?ms)^# BEGIN flatnet names.*?^# END flatnet names[^\n]*(\n|\z)', '')
    if ($count -gt 0) {
        if ($want.Length -gt 0 -and -not $want.EndsWith("`n")) { $want += "`r`n" }
        $want += (($names.TrimEnd() -split "`r?`n") -join "`r`n") + "`r`n"
    }
    if ($want -ceq $text) { return }
    if ($Mode -eq 'Check') { return "missing: names ($count) in $file" }
    if ($null -ne $item -and ($item.Attributes -band [IO.FileAttributes]::ReadOnly)) {
        return "warning: names: $file is read-only (attrib +r, often a security tool's), so the names are not written; run attrib -r `"$file`" as Administrator, then install again"
    }
    $bytes = $latin1.GetBytes($want)
    # Written over the old bytes, then cut to length: the file is never empty in between. A tool that holds it locked
    # (Spybot's, ZoneAlarm's "lock hosts file") or an ACL that denies writing is a warning, never the install's end.
    try {
        $stream = [IO.File]::Open($file, [IO.FileMode]::OpenOrCreate, [IO.FileAccess]::ReadWrite, [IO.FileShare]::Read)
        try { $stream.Write($bytes, 0, $bytes.Length); $stream.SetLength($bytes.Length) } finally { $stream.Dispose() }
    } catch [IO.IOException], [UnauthorizedAccessException] {
        return "warning: names: $file cannot be written ($($_.Exception.Message.Trim())): a tool that locks the hosts file, or its ACL; unlock it, then install again"
    }
    try { Clear-DnsClientCache -ErrorAction Stop } catch { }
    if ($count -eq 0) { "removed: names from $file" } else { "set: names ($count) in $file" }
}


$findings = New-Object System.Collections.Generic.List[object]
function Report([string]$Status, [string]$Check, [string]$Detail, [string]$Fix = '') {
    $findings.Add([pscustomobject]@{ status = $Status; check = $Check; detail = $Detail; fix = $Fix })
    if ($Machine) { Write-Output ("{0}`t{1}`t{2}`t{3}" -f $Status, $Check, $Detail, $Fix); return }
    Write-Output ('{0,-4} {1}: {2}' -f $Status, $Check, $Detail)
    if ($Status -eq 'FAIL' -and $Fix) { Write-Output "       fix: $Fix" }
}

$os = Get-CimInstance -ClassName Win32_OperatingSystem
if ([int]$os.BuildNumber -ge 19044) { Report 'ok' 'windows' "build $($os.BuildNumber)" }
else { Report 'FAIL' 'windows' "build $($os.BuildNumber) is older than Windows 10 21H2 (19044)" 'update Windows' }

# High Mandatory Level (S-1-16-12288): an elevated session, whatever the language of Windows.
if ("$(& whoami.exe /groups 2>$null)" -match 'S-1-16-12288') { Report 'ok' 'admin' 'elevated' }
else { Report 'FAIL' 'admin' 'not elevated: routing, services and firewall cannot be read or changed' 'run PowerShell as Administrator' }

$service = Get-Service -Name 'nebula' -ErrorAction SilentlyContinue
if ($null -eq $service) { Report 'FAIL' 'nebula-service' 'not installed' 'deploy the bundle (AddHost, or install.ps1 as Administrator)' }
elseif ("$($service.Status)" -eq 'Running') { Report 'ok' 'nebula-service' 'Running' }
else { Report 'FAIL' 'nebula-service' "$($service.Status)" 'look at the Windows Event Log (Application, source nebula), then Start-Service nebula' }

if (Test-Path -LiteralPath $NebulaExe) { Report 'ok' 'nebula-version' "$(& $NebulaExe -version 2>&1 | Select-Object -First 1)" }
else { Report 'FAIL' 'nebula-version' "$NebulaExe is missing" 'set nebula.windows.release in hosts/network.yaml and deploy again' }

$arch = if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { 'arm64' } else { 'amd64' }
$wintun = Join-Path (Split-Path -Parent $NebulaExe) "dist\windows\wintun\bin\$arch\wintun.dll"
if (Test-Path -LiteralPath $wintun) { Report 'ok' 'wintun' $wintun }
else { Report 'FAIL' 'wintun' "$wintun is missing: Nebula 1.10+ does not start, older ones fall back to TAP and ignore tun.dev" 'set nebula.windows.release (the official zip carries it) and deploy again' }

$adapter = Get-NetIPInterface -InterfaceAlias $TunDevice -AddressFamily IPv4 -ErrorAction SilentlyContinue
if ($null -eq $adapter) { Report 'FAIL' 'adapter' "no adapter '$TunDevice'" 'Nebula makes it when it starts: see nebula-service and wintun' }
elseif ([int]$adapter.NlMtu -ne $Mtu) { Report 'FAIL' 'adapter' "'$TunDevice' has MTU $($adapter.NlMtu), the config says $Mtu" 'Restart-Service nebula' }
else { Report 'ok' 'adapter' "'$TunDevice', MTU $Mtu" }

if (Test-NebulaBypassesWdf) { Report 'ok' 'firewall' 'Nebula 1.11 or later lets its own traffic past Windows Defender Firewall (windows_bypass_wdf)' }
elseif (Get-NetFirewallRule -DisplayName $NebulaRule -ErrorAction SilentlyContinue) { Report 'ok' 'firewall' $NebulaRule }
else { Report 'FAIL' 'firewall' "no Windows Firewall rule '$NebulaRule'" 'run scripts\setup-routing.ps1 (ConfigureRouting)' }

# One lighthouse that answers is enough for new tunnels: one switched off is a warning, none answering a failure.
$answering = @($Lighthouses | Where-Object { & ping.exe -n 1 -w 2000 $_ | Out-Null; $LASTEXITCODE -eq 0 })
$silent = @($Lighthouses | Where-Object { $answering -notcontains $_ })
if ($Lighthouses.Count -gt 0 -and $answering.Count -eq 0) { Report 'FAIL' 'lighthouse' "no lighthouse answers ($($Lighthouses -join ', '))" 'check that the lighthouse runs and that its UDP port is reachable from here (firewall, NAT)' }
elseif ($silent.Count -gt 0) { Report 'warn' 'lighthouse' "$($answering -join ', ') answer(s) through the tunnel; $($silent -join ', ') do(es) not" 'check the silent lighthouse: it runs, and its UDP port is reachable from here' }
else { Report 'ok' 'lighthouse' "$($Lighthouses -join ', ') answer(s) through the tunnel" }

# The mesh's names: flatnet's block in Windows' hosts file is this bundle's (VerifyPing asks Windows to resolve each).
$namesFile = Join-Path $Root 'scripts\names.hosts'
$entries = @(if (Test-Path -LiteralPath $namesFile) { Get-Content -LiteralPath $namesFile | Where-Object { $_ -and -not $_.StartsWith('#') } })
$said = @(if (Test-Path -LiteralPath $namesFile) { Set-MeshNames -Mode Check -Block $namesFile })
if (-not (Test-Path -LiteralPath $namesFile)) { Report 'warn' 'names' "$namesFile is missing (a bundle from before names)" }
elseif ($said.Count -gt 0 -and "$($said[0])" -like 'missing:*') { Report 'FAIL' 'names' "Windows' hosts file lacks the mesh's $($entries.Count) names, or holds older ones" 'deploy the bundle again (DeployHost); install.ps1 writes them' }
elseif ($said.Count -gt 0) { Report 'FAIL' 'names' ("$($said[0])" -replace '^warning: names: ', '') 'correct the hosts file as said, then deploy the bundle again (DeployHost)' }
elseif ($entries.Count -eq 0) { Report 'ok' 'names' 'names are off (names: in hosts/network.yaml)' }
else { Report 'ok' 'names' "the mesh's $($entries.Count) names are in Windows' hosts file" }

# The watcher that moves relayed tunnels to direct ones between flatnet's runs (scripts\direct-paths.ps1).
$directTask = Get-ScheduledTask -TaskName 'flatnet direct paths' -ErrorAction SilentlyContinue
if ($null -ne $directTask -and "$($directTask.State)" -eq 'Running') { Report 'ok' 'direct-paths' "the scheduled task 'flatnet direct paths' runs; scripts\direct-paths.ps1 -Status lists the tunnels" }
else { Report 'warn' 'direct-paths' "the scheduled task 'flatnet direct paths' does not run: a relayed tunnel stays relayed until VerifyPing" "deploy the bundle again (DeployHost), or Start-ScheduledTask 'flatnet direct paths'" }

# The number counts: Store WSL 1.x answers --version too, but an SSH session cannot start it.
$wslProblem = Get-WslVersionProblem
if (-not $wslProblem) { Report 'ok' 'wsl-version' 'WSL 2.0 or later (from the Store)' }
else { Report 'FAIL' 'wsl-version' $wslProblem 'wsl.exe --update (WSL from the Microsoft Store)' }

$listed = @(try { Invoke-Wsl -Owner $WslUser -Arguments @('-l', '-q') } catch { $global:LASTEXITCODE = 1 })
if ($LASTEXITCODE -ne 0) { $listed = @() }
$distros = @($listed | ForEach-Object { "$_".Replace([string][char]0, '').Trim() } | Where-Object { $_ })
if ($distros.Count -gt 0) { Report 'ok' 'wsl-owner' "$WslUser has $($distros -join ', ')" }
else { Report 'FAIL' 'wsl-owner' "$WslUser has no WSL distro (or is not logged on)" 'log on as the account that uses WSL (a locked screen is enough), or set wsl_user: in the host''s inventory file' }

$wslConfig = if ($env:USERPROFILE) { Join-Path $env:USERPROFILE '.wslconfig' } else { '' }
if ($wslConfig -and (Test-Path -LiteralPath $wslConfig) -and ((Get-Content -Raw -LiteralPath $wslConfig) -match '(?im)^\s*networkingMode\s*=\s*mirrored')) {
    Report 'FAIL' 'wsl-networking' 'networkingMode=mirrored: WSL2 shares Windows'' addresses; flatnet is built for NAT mode' "remove networkingMode from $wslConfig, then wsl.exe --shutdown"
} else { Report 'ok' 'wsl-networking' 'NAT mode' }

$wslAdapters = @(Get-NetIPInterface -AddressFamily IPv4 | Where-Object { $_.InterfaceAlias -like 'vEthernet (WSL*' })
if ($wslAdapters.Count -eq 0) { Report 'FAIL' 'wsl-adapter' "no 'vEthernet (WSL*)' adapter" 'start WSL2 (wsl.exe), then run scripts\setup-routing.ps1' }
else { Report 'ok' 'wsl-adapter' "$($wslAdapters[0].InterfaceAlias)" }

$notForwarding = @(@($wslAdapters) + @($adapter) | Where-Object { $null -ne $_ -and "$($_.Forwarding)" -ne 'Enabled' } | ForEach-Object { $_.InterfaceAlias })
if ($notForwarding.Count -eq 0) { Report 'ok' 'forwarding' 'on the WSL and Nebula adapters' }
else { Report 'FAIL' 'forwarding' "off on $($notForwarding -join ', ')" 'run scripts\setup-routing.ps1 (WSL recreates its adapter at every start)' }

$router = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters' -Name IPEnableRouter -ErrorAction SilentlyContinue
if ($null -ne $router -and $router.IPEnableRouter -eq 1) { Report 'ok' 'ip-enable-router' 'IPEnableRouter=1' }
else { Report 'FAIL' 'ip-enable-router' 'IPEnableRouter is not 1' 'run scripts\setup-routing.ps1, then reboot once' }

$wslNow = "$(try { Invoke-Wsl -Owner $WslUser -Arguments ($WslArgs + @('-e', 'hostname', '-I')) } catch { })" -split '\s+' | Where-Object { $_ -match '^\d{1,3}(\.\d{1,3}){3}$' -and $_ -ne $WslAddress } | Select-Object -First 1
$route = @(Get-NetRoute -AddressFamily IPv4 -DestinationPrefix $OwnBlock -ErrorAction SilentlyContinue)
if ($route.Count -eq 0) { Report 'FAIL' 'route' "no route of $OwnBlock to WSL2" 'run scripts\setup-routing.ps1' }
elseif ($wslNow -and "$($route[0].NextHop)" -ne $wslNow) { Report 'FAIL' 'route' "$OwnBlock goes to $($route[0].NextHop), but WSL2 is at $wslNow now" 'run scripts\setup-routing.ps1; are the flatnet routing and flatnet WSL address tasks running? (Get-ScheduledTask ''flatnet*'')' }
else { Report 'ok' 'route' "$OwnBlock -> $($route[0].NextHop)" }

if (Get-Command -Name Get-NetFirewallHyperVRule -ErrorAction SilentlyContinue) {
    if (Get-NetFirewallHyperVRule -Name 'flatnet-overlay-to-wsl' -ErrorAction SilentlyContinue) { Report 'ok' 'hyperv-firewall' 'flatnet-overlay-to-wsl' }
    else { Report 'FAIL' 'hyperv-firewall' 'no Hyper-V firewall rule admits the overlay into WSL2' 'run scripts\setup-routing.ps1' }
}

# Traffic WSL2 sends from its stable address must keep that source: Nebula drops a packet whose source is neither
# the host's Nebula IP nor in its certificate's subnets, and peers route replies to the block. A WinNAT whose
# internal prefix covers the address would rewrite it to the host's.
function Test-InPrefix([string]$Address, [string]$Prefix) {  # is Address inside Prefix (a.b.c.d/n)?
    $parts = $Prefix -split '/'
    $bits = [int]$parts[1]
    $toNumber = { param($a) $b = ([Net.IPAddress]::Parse($a)).GetAddressBytes(); [uint32](($b[0] * 16777216) + ($b[1] * 65536) + ($b[2] * 256) + $b[3]) }
    $mask = if ($bits -eq 0) { [uint32]0 } else { [uint32]([uint64]4294967295 -shl (32 - $bits) -band 4294967295) }
    ((& $toNumber $Address) -band $mask) -eq ((& $toNumber $parts[0]) -band $mask)
}
$rewriting = @(Get-NetNat -ErrorAction SilentlyContinue | Where-Object { $_.InternalIPInterfaceAddressPrefix -and (Test-InPrefix $WslAddress $_.InternalIPInterfaceAddressPrefix) })
if ($rewriting.Count -eq 0) { Report 'ok' 'source-nat' "no NAT rewrites WSL2's stable address $WslAddress" }
else { Report 'FAIL' 'source-nat' "NAT $($rewriting[0].Name) ($($rewriting[0].InternalIPInterfaceAddressPrefix)) rewrites $WslAddress to this host's address; peers then drop or misroute WSL2's traffic" "Remove-NetNat -Name $($rewriting[0].Name), or give it a prefix outside $OwnBlock" }

# A peer that is merely switched off proves nothing: the first peer that answers is the proof; none answering fails.
if ($Peers.Count -gt 0) {
    $peer = $null
    foreach ($candidate in $Peers) {
        try { Invoke-Wsl -Owner $WslUser -Arguments ($WslArgs + @('-e', 'ping', '-c', '1', '-W', '2', '-I', $WslAddress, $candidate)) | Out-Null } catch { $global:LASTEXITCODE = 1 }
        if ($LASTEXITCODE -eq 0) { $peer = $candidate; break }
    }
    if ($null -ne $peer) { Report 'ok' 'wsl-ping' "WSL2 reaches $peer from its stable address $WslAddress" }
    else { Report 'FAIL' 'wsl-ping' "WSL2 reaches none of the $($Peers.Count) peer(s) from $WslAddress ($($Peers -join ', '))" 'run wsl-routing.sh --check inside WSL2, and check that the certificate carries the block (GenerateCert --force); are the peers on?' }
    # The MTU is measured only over a path a plain ping crosses: with Nebula down or the peers off, a lower MTU fixes nothing.
    if ($null -eq $peer) { Report 'warn' 'wsl-mtu' 'not measured: no peer answers a plain ping (see wsl-ping first)' }
    else {
        try { Invoke-Wsl -Owner $WslUser -Arguments ($WslArgs + @('-e', 'ping', '-c', '1', '-W', '2', '-M', 'do', '-s', "$($Mtu - 28)", '-I', $WslAddress, $peer)) | Out-Null } catch { $global:LASTEXITCODE = 1 }
        if ($LASTEXITCODE -eq 0) { Report 'ok' 'wsl-mtu' "a $Mtu-byte packet from WSL2 crosses unfragmented" }
        else { Report 'FAIL' 'wsl-mtu' "a $Mtu-byte packet from WSL2 does not cross" 'lower tuning.mtu in hosts/network.yaml (1300 crosses most links)' }
    }
} else { Report 'warn' 'wsl-ping' 'no peer to ping yet' }

$logs = Join-Path $Root 'logs'
if (Test-Path -LiteralPath $logs) { $findings | ConvertTo-Json | Set-Content -Path (Join-Path $logs 'doctor.json') }
if (@($findings | Where-Object { $_.status -eq 'FAIL' }).Count -gt 0) { exit 1 }
exit 0
