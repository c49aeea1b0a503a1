#Requires -RunAsAdministrator
<#
.SYNOPSIS
    uninstall.ps1 for host-c: takes flatnet's Nebula off this Windows host (RemoveHost runs it here).

.DESCRIPTION
    Rendered by flatnet-automation. Run as Administrator:
        powershell.exe -NoProfile -ExecutionPolicy Bypass -File <Root>\scripts\uninstall.ps1
    Removes what flatnet set up on this host, and nothing else:
      - the scheduled tasks 'flatnet routing' (the routing watcher) and 'flatnet WSL address' (its WSL owner's half),
        and 'flatnet direct paths' (the watcher that moves relayed tunnels to direct ones);
      - routing: the block's route and flatnet's firewall rules (setup-routing.ps1 -Remove);
      - the nebula service (stopped, then unregistered; a service of that name that runs another program is refused);
      - <Root>\config\nebula: the config, the certificates, the private key and the admin interface's keys;
      - the record of the installed bundle (installed-manifest.json);
      - the mesh's names: flatnet's block in Windows' hosts file (every other line stays).
    Keeps: nebula.exe and wintun.dll, the logs, these scripts, IPEnableRouter. Delete <Root> by hand when nothing
    there is needed. WSL2's side is wsl-routing.sh --remove, inside WSL2. Idempotent: with nothing left it says so.
    Valid Windows PowerShell 5.1.

.PARAMETER Root
    Where flatnet lives on this host. Default: F:\flatnet
#>
[CmdletBinding()]
param(
    [string]$Root = 'F:\flatnet'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$HostName = 'host-c'
$ServiceName = 'nebula'
$ServiceManager = 'nebula'
$NebulaExe = Join-Path $Root 'nebula\nebula.exe'
$ConfigDir = Join-Path $Root 'config\nebula'
$ScriptsDir = Join-Path $Root 'scripts'
$RoutingTask = 'flatnet routing'
$changed = 0

# The service called nebula is flatnet's only when it runs flatnet's nebula.exe (or nssm): another program may own a
# service of that name (one vendor's camera software does), and such a service is never taken over or removed.
# Returns what that other service runs, or $null.
function Get-ForeignNebulaService {
    $registered = Get-CimInstance -ClassName Win32_Service -Filter "Name='$ServiceName'"
    $expected = if ($ServiceManager -eq 'nssm') { 'nssm' } else { $NebulaExe }
    if ($null -ne $registered -and "$($registered.PathName)" -notlike "*$expected*") { return "$($registered.PathName)" }
    return $null
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

# 1. The watchers first, or they would put the route back: SYSTEM's, which sets it, and the WSL owner's, which
#    reports WSL2's address (and the one-shot tasks of a killed run as WSL's owner); the direct-paths watcher too.
foreach ($task in @(@(Get-ScheduledTask -TaskName $RoutingTask -ErrorAction SilentlyContinue) + @(Get-ScheduledTask -TaskName 'flatnet WSL address' -ErrorAction SilentlyContinue) +
                    @(Get-ScheduledTask -TaskName 'flatnet as WSL owner *' -ErrorAction SilentlyContinue) + @(Get-ScheduledTask -TaskName 'flatnet direct paths' -ErrorAction SilentlyContinue))) {
    if ($null -eq $task) { continue }
    # Unregistering leaves a running instance running: the watcher would go on putting routes back.
    Stop-ScheduledTask -TaskName $task.TaskName -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskName $task.TaskName -Confirm:$false
    Write-Output "removed: scheduled task '$($task.TaskName)'"
    $changed++
}

# 2. Routing (a host with WSL2 has the script).
$setup = Join-Path $ScriptsDir 'setup-routing.ps1'
if (Test-Path -LiteralPath $setup) {
    foreach ($line in @(& $setup -Remove)) {
        if ("$line" -notlike 'nothing to remove*') { Write-Output $line; $changed++ }
    }
}

# 3. The service: only flatnet's (another program's "nebula" service is never touched).
$service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
if ($null -ne $service) {
    $foreign = Get-ForeignNebulaService
    if ($foreign) { throw "uninstall.ps1 (${HostName}): the service '$ServiceName' runs '$foreign', not flatnet's Nebula; it is left alone" }
    if ("$($service.Status)" -ne 'Stopped') { Stop-Service -Name $ServiceName }
    # Nebula before 1.11 exits 1 after a successful -service action (cmd/nebula-service): judge by Get-Service instead.
    if ($ServiceManager -eq 'nssm') { Invoke-Native nssm.exe @('remove', $ServiceName, 'confirm') | Out-Null } else { Invoke-Native $NebulaExe @('-service', 'uninstall') | Out-Null }
    if ($null -ne (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)) {
        throw "uninstall.ps1 (${HostName}): the $ServiceName service is still registered (exit $LASTEXITCODE); remove it with sc.exe delete $ServiceName"
    }
    Write-Output "removed: the $ServiceName service"
    $changed++
}

# 4. The keys and config, and the record of what was installed.
if (Test-Path -LiteralPath $ConfigDir) {
    Remove-Tree $ConfigDir
    Write-Output "removed: $ConfigDir (config, certificates, private key)"
    $changed++
}
# An upload an install never got to (it holds host.key when the bundle carried one).
$incoming = Join-Path $Root 'incoming'
if (Test-Path -LiteralPath $incoming) {
    Remove-Tree $incoming
    Write-Output "removed: $incoming (an upload that was never installed)"
    $changed++
}
foreach ($name in @('installed-manifest.json', 'installed-manifest.pending.json')) {
    $path = Join-Path $Root $name
    if (Test-Path -LiteralPath $path) { Remove-Item -Force -LiteralPath $path; $changed++ }
}

# 5. The mesh's names in Windows' hosts file (every other line stays).
foreach ($line in @(Set-MeshNames -Mode Remove)) { Write-Output $line; if ("$line" -like 'removed:*') { $changed++ } }

if ($changed -eq 0) { Write-Output "nothing to remove: flatnet's Nebula is not installed on $HostName" }
