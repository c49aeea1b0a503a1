#Requires -RunAsAdministrator
<#
.SYNOPSIS
    install.ps1 for host-c (10.100.3.1/16): installs this bundle under the spec's layout and starts Nebula.

.DESCRIPTION
    Rendered by flatnet-automation. Run as Administrator from the unpacked bundle:
        powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\install.ps1
    Layout (the spec's): <Root>\nebula\ (nebula.exe, nebula-cert.exe), <Root>\config\nebula\ (config.yaml, ca.crt,
    host.crt, host.key), <Root>\logs\, <Root>\scripts\ (setup-routing.ps1, wsl-routing.sh).
    Logs: with service: nssm, <Root>\logs\nebula.log; with Nebula's own service, the Windows Event Log.
    Also writes the mesh's names (host-b, host-b-wsl, ...) into Windows' hosts file, in a block of flatnet's own.
    Safe to re-run: an unchanged bundle changes nothing. Transactional: the new config is staged, swapped in and
    checked with `nebula.exe -test`; the previous config and binaries are kept until the service runs the new ones
    (state Running and its adapter present) and put back otherwise, the service stopped first, however the start
    failed. The install root is Administrators and SYSTEM only (users read and run); the uploaded bundle is removed
    in every outcome. Valid Windows PowerShell 5.1.

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
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
# The root's drive first (Join-Path below already fails on a drive that does not exist): the spec's F: is missing
# on most office PCs, and nothing is written before this is known.
if ($Root -match '^([A-Za-z]):' -and -not (Test-Path -LiteralPath "$($Matches[1]):\")) {
    throw "install.ps1 (${HostName}): the install root $Root is on drive $($Matches[1]):, which this PC does not have; set nebula.windows.root in hosts/network.yaml to a folder on a drive it has (C:\flatnet is the usual one), build the bundle again, or run this script with -Root C:\flatnet"
}

$NebulaDir = Join-Path $Root 'nebula'
$ConfigDir = Join-Path $Root 'config\nebula'
$LogsDir = Join-Path $Root 'logs'
$ScriptsDir = Join-Path $Root 'scripts'
$NebulaExe = Join-Path $NebulaDir 'nebula.exe'
$ConfigFile = Join-Path $ConfigDir 'config.yaml'
$LogFile = Join-Path $LogsDir 'nebula.log'
$RoutingTask = 'flatnet routing'
$DirectTask = 'flatnet direct paths'
$ReportTask = 'flatnet WSL address'
$WslOwnerStaging = Join-Path $Root 'run'
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

# Owner-only by well-known SID (Administrators S-1-5-32-544, SYSTEM S-1-5-18): group names differ by language.
function Set-OwnerOnly([string]$Path) {
    $out = Invoke-Native icacls.exe @($Path, '/inheritance:r', '/grant:r', '*S-1-5-32-544:F', '*S-1-5-18:F')
    if ($LASTEXITCODE -ne 0) { Stop-Install "icacls.exe could not restrict $Path (exit $LASTEXITCODE): $out" }
}

$AdminsAndSystem = @('*S-1-5-32-544:(OI)(CI)F', '*S-1-5-18:(OI)(CI)F')
# The root's ACL as SDDL, for a root made with it (New-ProtectedFolder): $AdminOnlySddl, and users (BU) read and run
# (0x1200a9), inherited below (OICI).
$RootSddl = $AdminOnlySddl + '(A;OICI;0x1200a9;;;BU)'
$TrustedSids = @('S-1-5-32-544', 'S-1-5-18')

# What is wrong with a path's ACL, in words, or $null: an owner other than Administrators or SYSTEM (an owner keeps
# WRITE_DAC whatever the ACL says), inherited entries, or an entry for anyone but $Allowed (SIDs, besides
# Administrators and SYSTEM) or that gives them more than to read.
function Get-AclProblem([string]$Path, [string[]]$Readers = @(), [string[]]$Writers = @()) {
    $names = @{ 'S-1-5-11' = 'Authenticated Users'; 'S-1-5-32-545' = 'Users'; 'S-1-1-0' = 'Everyone' }
    $acl = Get-Acl -LiteralPath $Path
    $owner = "$($acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value)"
    $problems = @()
    if ($owner -notin $TrustedSids) { $problems += "its owner was $(if ($names.ContainsKey($owner)) { $names[$owner] } else { $owner })" }
    if (-not $acl.AreAccessRulesProtected) { $problems += "it inherited its parent's ACL" }
    $writers = @($acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier]) | Where-Object {
        $sid = "$($_.IdentityReference.Value)"
        $sid -notin ($TrustedSids + $Writers) -and ($sid -notin $Readers -or "$($_.FileSystemRights)" -match 'FullControl|Modify|Write|Delete|ChangePermissions|TakeOwnership')
    } | ForEach-Object { $sid = "$($_.IdentityReference.Value)"; if ($names.ContainsKey($sid)) { "$($names[$sid]) ($sid)" } else { $sid } } | Select-Object -Unique)
    if ($writers.Count -gt 0) { $problems += "it gave access to $($writers -join ', ')" }
    if ($problems.Count -eq 0) { return $null }
    $problems -join '; '
}

# A path's ACL made exactly $Grants: owner Administrators, inheritance off, our grants, and every other explicit
# entry removed (icacls /grant:r replaces only the SIDs it names, /inheritance:r only inherited entries).
function Set-ExactAcl([string]$Path, [string[]]$Grants) {
    $out = Invoke-Native icacls.exe @($Path, '/setowner', '*S-1-5-32-544', '/C', '/Q')
    if ($LASTEXITCODE -ne 0) { Stop-Install "icacls.exe could not make Administrators the owner of $Path (exit $LASTEXITCODE): $out" }
    $out = Invoke-Native icacls.exe (@($Path, '/inheritance:r', '/grant:r') + $Grants)
    if ($LASTEXITCODE -ne 0) { Stop-Install "icacls.exe could not secure $Path (exit $LASTEXITCODE): $out" }
    $granted = @($Grants | ForEach-Object { $_.TrimStart('*').Split(':')[0] })
    $others = @((Get-Acl -LiteralPath $Path).GetAccessRules($true, $false, [System.Security.Principal.SecurityIdentifier]) |
        ForEach-Object { "$($_.IdentityReference.Value)" } | Where-Object { $_ -notin $granted } | Select-Object -Unique)
    if ($others.Count -gt 0) {
        $out = Invoke-Native icacls.exe (@($Path, '/remove') + @($others | ForEach-Object { "*$_" }))
        if ($LASTEXITCODE -ne 0) { Stop-Install "icacls.exe could not remove $($others -join ', ') from $Path (exit $LASTEXITCODE): $out" }
    }
}

# The root made right, not just reported right: a new one made with its ACL in one call (New-ProtectedFolder); one
# already there given owner Administrators, a fresh protected ACL (Administrators and SYSTEM full control, users
# (S-1-5-32-545) read and run, inherited by everything below), and what is below it reset to
# inherit, except the folders that hold keys or run elevated, which get their own admin-only ACL directly (never a
# moment with users' read). Nothing is done when the root is already right; what was wrong is said.
function Protect-InstallRoot {
    New-ProtectedFolder $Root $RootSddl
    if ((Get-Item -LiteralPath $Root -Force).Attributes -band [IO.FileAttributes]::ReparsePoint) {
        Stop-Install "$Root is a link (to $((Get-Item -LiteralPath $Root -Force).Target)), not a folder: flatnet installs into a folder of its own; remove the link (rmdir $Root) and run this again"
    }
    $was = Get-AclProblem $Root @('S-1-5-32-545')
    if (-not $was) { return }
    # A root, or anything in it, that another account made is never taken over: that account could have left a key
    # flatnet would keep, a link, or a handle opened before any ACL change, which keeps its access (learn.microsoft.com
    # IRP_MJ_CREATE: rights are checked when a handle is opened). Refused, every such entry named, nothing changed.
    Stop-IfForeignOwned ''
    Set-ExactAcl $Root ($AdminsAndSystem + '*S-1-5-32-545:(OI)(CI)RX')
    # Until that moment another account could still write here: what it made in between is refused too, before
    # anything below is reset (which would make it Administrators').
    Stop-IfForeignOwned ' while the root was being locked'
    # Another account could write here until now, and any account may make a junction (mklink /J, no privilege):
    # each link below goes, itself, before icacls /T, a copy or a delete would work through it (docs/windows-contract.md).
    Remove-LinksBelow $Root
    foreach ($child in @(Get-ChildItem -Force -LiteralPath $Root)) {
        if ($child.Name -notin @('config', 'incoming', 'run')) { Reset-ToInherit $child.FullName; continue }
        Set-ExactAcl $child.FullName $AdminsAndSystem
        foreach ($below in @(Get-ChildItem -Force -LiteralPath $child.FullName)) { Reset-ToInherit $below.FullName }
    }
    Write-Output "secured: $Root ($was); now Administrators and SYSTEM only, users read"
}

function Stop-IfForeignOwned([string]$When) {
    $foreign = @(Get-ForeignOwned $Root)
    if ($foreign.Count -eq 0) { return }
    Stop-Install ("another account made $(if ($foreign.Count -eq 1) { 'this' } else { "these $($foreign.Count)" }) in the install root${When}: $(($foreign | Select-Object -First 3) -join '; ')" +
        "$(if ($foreign.Count -gt 3) { ' and more' }); flatnet takes over nothing another account made (a key, a link or an open handle of theirs would stay theirs). " +
        "Move $Root away (or delete what is named) as an administrator, then run this again")
}

# The root and every entry below it (never through a link) whose owner is not Administrators or SYSTEM, as
# "PATH (owner SID)": what another account made. WSL's owner's own folders (run\wsl, run\owner-*, which flatnet
# gives that account) are its by design.
function Get-ForeignOwned([string]$Path) {
    $owner = "$((Get-Acl -LiteralPath $Path).GetOwner([System.Security.Principal.SecurityIdentifier]).Value)"
    if ($owner -notin $TrustedSids) { "$Path (owner $owner)" }
    $item = Get-Item -LiteralPath $Path -Force
    if (-not $item.PSIsContainer -or ($item.Attributes -band [IO.FileAttributes]::ReparsePoint)) { return }
    foreach ($child in @(Get-ChildItem -Force -LiteralPath $Path -ErrorAction SilentlyContinue)) {
        if ($Path -eq (Join-Path $Root 'run') -and ($child.Name -eq 'wsl' -or $child.Name -like 'owner-*')) { continue }
        Get-ForeignOwned $child.FullName
    }
}

# Every link (junction, symbolic link) at any depth below $Path removed itself, never followed, each said.
function Remove-LinksBelow([string]$Path) {
    foreach ($item in @(Get-ChildItem -Force -LiteralPath $Path -ErrorAction SilentlyContinue)) {
        if ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) {
            $to = "$($item.Target)"
            if ($item.PSIsContainer) { [IO.Directory]::Delete($item.FullName, $false) } else { [IO.File]::Delete($item.FullName) }
            Write-Output "removed: $($item.FullName), a link (to $to) another account could have made there"
        } elseif ($item.PSIsContainer) {
            Remove-LinksBelow $item.FullName
        }
    }
}

# A path and everything below it owned by Administrators and inheriting only: its own entries and protection go.
function Reset-ToInherit([string]$Path) {
    $out = Invoke-Native icacls.exe @($Path, '/setowner', '*S-1-5-32-544', '/T', '/C', '/Q')
    if ($LASTEXITCODE -ne 0) { Stop-Install "icacls.exe could not make Administrators the owner of $Path (exit $LASTEXITCODE): $out" }
    $out = Invoke-Native icacls.exe @($Path, '/reset', '/T', '/C', '/Q')
    if ($LASTEXITCODE -ne 0) { Stop-Install "icacls.exe could not reset $Path to inherit (exit $LASTEXITCODE): $out" }
}

# An account's SID: Windows translates local and domain names; Win32_UserAccount knows local ones.
function Get-AccountSid([string]$Account) {
    try { return ([System.Security.Principal.NTAccount]::new($Account)).Translate([System.Security.Principal.SecurityIdentifier]).Value } catch { }
    "$(@(Get-CimInstance -ClassName Win32_UserAccount -Filter "Name = '$($Account.Split('\')[-1])'") | Select-Object -First 1 -ExpandProperty SID)"
}

# A folder under the root that holds keys or what runs elevated: Administrators and SYSTEM only, from its creation.
function New-AdminOnlyFolder([string]$Path) {
    New-ProtectedFolder $Path $AdminOnlySddl
    if (Get-AclProblem $Path) { Set-ExactAcl $Path $AdminsAndSystem }
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


# Start-Service and Restart-Service throw StartServiceFailed when the service does not reach Running (Nebula's own
# service never does on a config it cannot run): the error is kept as text, so the check and the rollback still run.
function Invoke-ServiceStart([string]$Verb) {
    try {
        if ($Verb -eq 'Start') { Start-Service -Name $ServiceName } else { Restart-Service -Name $ServiceName }
        $null
    } catch {
        "$($_.Exception.Message)".TrimEnd('.')
    }
}

# Restarted when it crashes, and (failureflag 1) when it stops with an error exit code too: `sc.exe failure` alone
# acts only on a crash.
function Set-RestartOnFailure {
    $out = Invoke-Native sc.exe @('failure', $ServiceName, 'reset=', '86400', 'actions=', 'restart/5000/restart/5000/restart/5000')
    if ($LASTEXITCODE -ne 0) { Stop-Install "sc.exe failure could not set restart-on-failure for $ServiceName (exit $LASTEXITCODE): $out" }
    $out = Invoke-Native sc.exe @('failureflag', $ServiceName, '1')
    if ($LASTEXITCODE -ne 0) { Stop-Install "sc.exe failureflag could not set restart-on-error for $ServiceName (exit $LASTEXITCODE): $out" }
}

# flatnet's tasks run for ever (its watchers): Task Scheduler's defaults would not start them on battery and would stop
# them when a laptop unplugs (New-ScheduledTaskSettingsSet), so say otherwise; a limit of zero is none.
function New-WatcherTaskSettings {
    New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 3 -RestartInterval (New-TimeSpan -Minutes 1)
}

# Whether a registered task is the one this install would register: the same command line, account and run level,
# and not Task Scheduler's battery defaults.
function Test-TaskCurrent($Task, [string]$Argument, $Principal) {
    $null -ne $Task -and "$(@($Task.Actions)[0].Arguments)" -eq $Argument -and "$($Task.Principal.UserId)" -eq "$($Principal.UserId)" -and
        "$($Task.Principal.RunLevel)" -eq "$($Principal.RunLevel)" -and -not $Task.Settings.DisallowStartIfOnBatteries -and -not $Task.Settings.StopIfGoingOnBatteries
}

# The uploaded bundle may hold host.key: whatever happens below, it does not stay (a bundle unpacked by hand is its owner's).
$incoming = Join-Path $Root 'incoming'
$uploaded = (Test-Path -LiteralPath $incoming) -and (Resolve-Path -LiteralPath $Here).Path.StartsWith((Resolve-Path -LiteralPath $incoming).Path)
try {
    # 1. The bundle must be exactly what flatnet packed.
    $manifest = Get-Content -Raw -Path (Join-Path $Here 'manifest.json') | ConvertFrom-Json
    foreach ($file in $manifest.files) {
        $path = Join-Path $Here ($file.path -replace '/', '\')
        if (-not (Test-Path -LiteralPath $path)) { Stop-Install "bundle is incomplete: $($file.path) is missing; fetch the bundle again" }
        $hash = (Get-FileHash -Algorithm SHA256 -LiteralPath $path).Hash.ToLowerInvariant()
        if ($hash -ne $file.sha256) { Stop-Install "bundle is damaged: $($file.path) does not match manifest.json; fetch the bundle again" }
    }

    # The service called nebula must be flatnet's, before anything is touched.
    $service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
    if ($null -ne $service) {
        $foreign = Get-ForeignNebulaService
        if ($foreign) {
            Stop-Install "a service named '$ServiceName' already exists and runs '$foreign', not flatnet's Nebula. Remove it (sc.exe delete $ServiceName) if it is a stale Nebula, or rename the other program's service."
        }
    }

    # 2. The install root: Administrators and SYSTEM full control, users read and run, nothing inherited. A folder made
    #    in a drive's root inherits that root's ACL, which lets Authenticated Users modify it, and nebula.exe runs as
    #    LocalSystem and setup-routing.ps1 elevated: anyone could replace them. Then folders, and what the bundle ships of Nebula's Windows release (nebula.exe, nebula-cert.exe, wintun.dll). A
    #    running executable cannot be overwritten on Windows, so binaries are compared first and replaced only when they
    #    differ, with the service stopped; the previous ones are kept until the new ones run.
    Protect-InstallRoot
    # Keys live below config\ and scripts run elevated from run\: Administrators and SYSTEM only, from their creation,
    # so a key copied in (config\nebula.new) never inherits users' read, even for a moment.
    foreach ($dir in @((Split-Path -Parent $ConfigDir), $WslOwnerStaging)) { New-AdminOnlyFolder $dir }
    foreach ($dir in @($NebulaDir, $LogsDir, $ScriptsDir)) {
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
    $directScript = Join-Path $ScriptsDir 'direct-paths.ps1'
    $directBefore = if (Test-Path -LiteralPath $directScript) { (Get-FileHash -LiteralPath $directScript).Hash } else { '' }
    Copy-Item -Force -Path (Join-Path $Here 'scripts\*') -Destination $ScriptsDir

    # 3. Stage the config beside the live one; unchanged means nothing to do.
    $stage = "$ConfigDir.new"
    if (Test-Path -LiteralPath $stage) { Remove-Tree $stage }
    New-Item -ItemType Directory -Force -Path $stage | Out-Null
    foreach ($name in @('config.yaml', 'ca.crt', 'host.crt', 'host.key')) {
        $source = Join-Path $Here $name
        if (-not (Test-Path -LiteralPath $source) -and $name -eq 'host.key') { $source = Join-Path $ConfigDir $name }
        if (-not (Test-Path -LiteralPath $source)) { Stop-Install "no $name in the bundle or in $ConfigDir; for a key made on this host run nebula-cert keygen first" }
        Copy-Item -Force -LiteralPath $source -Destination (Join-Path $stage $name)
    }
    # Nebula's admin interface (127.0.0.1 only) needs an SSH host key, and the host's own watcher (direct-paths.ps1) a
    # key to log in there: both made here once, kept across installs, never sent anywhere.
    $keygen = Join-Path $env:WINDIR 'System32\OpenSSH\ssh-keygen.exe'
    function Get-KeyFile([string]$Name, [string]$Comment, [string]$What) {
        $key = Join-Path $stage $Name
        if (Test-Path -LiteralPath (Join-Path $ConfigDir $Name)) {
            Copy-Item -Force -LiteralPath (Join-Path $ConfigDir $Name) -Destination $key
        } else {
            if (-not (Test-Path -LiteralPath $keygen)) { Stop-Install "$keygen is missing; add Windows' OpenSSH Client (Settings > Optional features), which makes $What" }
            # One verbatim command line: Windows PowerShell 5.1 would drop the empty passphrase if it were passed as an argument of its own.
            $made = Start-Process -FilePath $keygen -ArgumentList "-q -t ed25519 -N `"`" -C $Comment -f `"$key`"" -NoNewWindow -Wait -PassThru
            if ($made.ExitCode -ne 0 -or -not (Test-Path -LiteralPath $key)) { Stop-Install "ssh-keygen.exe could not make $What (exit $($made.ExitCode))" }
            Remove-Item -Force -LiteralPath "$key.pub" -ErrorAction SilentlyContinue
        }
        $public = @(Invoke-Native $keygen @('-y', '-f', $key)) -join ''
        if ($LASTEXITCODE -ne 0 -or $public -notmatch '^(ssh-ed25519 [A-Za-z0-9+/=]+)') { Stop-Install "ssh-keygen.exe could not read $What ($public)" }
        $Matches[1]
    }
    $AdminKeyName = 'admin_host_ed25519'
    $adminPublic = Get-KeyFile $AdminKeyName 'nebula-admin' "the host key of Nebula's admin interface"
    $WatcherKeyName = 'watcher_ed25519'
    $watcherPublic = Get-KeyFile $WatcherKeyName 'flatnet-watcher' "the watcher's key"
    # The watcher pins the admin interface's host key, and its own key goes into the config's one empty line for it.
    [IO.File]::WriteAllText((Join-Path $stage 'watcher_known_hosts'), "[127.0.0.1]:2222 $adminPublic`n")
    $placeholder = '      keys: []  # flatnet-watcher key: written here at install, made on this host'
    $stagedConfig = Join-Path $stage 'config.yaml'
    $lines = [IO.File]::ReadAllText($stagedConfig) -split "`n"
    if (@($lines | Where-Object { $_ -eq $placeholder }).Count -eq 1) {
        [IO.File]::WriteAllText($stagedConfig, (($lines | ForEach-Object { if ($_ -eq $placeholder) { $_.Replace('keys: []', "keys: [`"$watcherPublic`"]") } else { $_ } }) -join "`n"))
    } else {
        Write-Output "warning: config.yaml has no line for the watcher's key ($($placeholder.Trim())), so the direct-paths watcher cannot log in; build the bundle again (PackageAll) and deploy it"
    }
    $same = $shipped.Count -eq 0
    foreach ($name in @('config.yaml', 'ca.crt', 'host.crt', 'host.key')) {
        $live = Join-Path $ConfigDir $name
        if (-not (Test-Path -LiteralPath $live)) { $same = $false; break }
        if ((Get-FileHash -LiteralPath $live).Hash -ne (Get-FileHash -LiteralPath (Join-Path $stage $name)).Hash) { $same = $false; break }
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
            if (Test-Path -LiteralPath $ConfigDir) { Remove-Tree $ConfigDir }
            Move-Item -LiteralPath $oldConfig -Destination $ConfigDir
        }
        foreach ($file in $shipped) {
            $kept = Join-Path $oldBinaries $file.Target.Substring($NebulaDir.Length).TrimStart('\', '/')
            if (Test-Path -LiteralPath $kept) { Copy-Item -Force -LiteralPath $kept -Destination $file.Target }
        }
    }

    if ($same -and $null -ne $service -and "$($service.Status)" -eq 'Running') {
        Remove-Tree $stage
        Write-Output "unchanged: $HostName already has this bundle"
    } else {
        foreach ($old in @($oldConfig, $oldBinaries)) { if (Test-Path -LiteralPath $old) { Remove-Tree $old } }
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
        $test = Invoke-Native $NebulaExe @('-test', '-config', $ConfigFile)
        if ($LASTEXITCODE -ne 0) {
            Restore-Previous
            if ($stopped) { Invoke-ServiceStart 'Start' | Out-Null }
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
                $said = Invoke-Native $NebulaExe @('-service', 'install', '-config', $ConfigFile)
            }
            if ($null -eq (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)) {
                Restore-Previous
                Stop-Install "registering the $ServiceName service with $ServiceManager did not create it (exit $LASTEXITCODE): $said"
            }
            Set-RestartOnFailure
            $startFailed = Invoke-ServiceStart 'Start'
            $verb = 'started'
        } else {
            # A service an older flatnet registered was restarted only when it crashed: failureflag is set now.
            if ("$(Invoke-Native sc.exe @('qfailureflag', $ServiceName))" -notmatch 'NONCRASH_FAILURES\s*:\s*TRUE') {
                Set-RestartOnFailure
                Write-Output "set: service $ServiceName restarts when it stops with an error too (failureflag)"
            }
            $startFailed = Invoke-ServiceStart 'Restart'
            $verb = 'restarted'
        }
        $why = if ($startFailed) { $startFailed } else { Wait-Nebula }
        if ($null -ne $why) {
            # Stopped first: Windows cannot copy the previous nebula.exe over a running one.
            Stop-Service -Name $ServiceName -ErrorAction SilentlyContinue
            $hadPrevious = Test-Path -LiteralPath $oldConfig
            Restore-Previous
            if (-not $hadPrevious) {
                Stop-Install "the new bundle did not run: $why. There was no previous bundle to go back to, so the service is stopped; see the Windows Event Log (Application, source nebula), fix the cause and run the install again."
            }
            $again = Invoke-ServiceStart 'Start'
            if (-not $again) { $again = Wait-Nebula }
            $now = if ($null -eq $again) { 'the service runs them again' } else { "the service did not start with them either ($again)" }
            Stop-Install "the new bundle did not run: $why. The previous config and binaries are back and $now; see the Windows Event Log (Application, source nebula)."
        }
        foreach ($old in @($oldConfig, $oldBinaries)) { if (Test-Path -LiteralPath $old) { Remove-Tree $old } }
        Write-Output $(if ($verb -eq 'started') { "started: service $ServiceName ($ServiceManager)" } else { "restarted: service $ServiceName" })
    }

    # 4b. The mesh's names (every other host and WSL2: scripts/names.hosts) in Windows' hosts file; WSL2 gets them from
    #     wsl-routing.sh below (and from this file at its next start, generateHosts).
    Set-MeshNames -Mode Set -Block (Join-Path $ScriptsDir 'names.hosts')

    # 4c. The direct-paths watcher (scripts\direct-paths.ps1 -Watch), as SYSTEM from startup: it moves relayed tunnels
    #     to direct ones between flatnet's runs. Registered when missing or different; restarted when this install
    #     changed Nebula or the script (it then runs this bundle's); started when it does not run. Task Scheduler's
    #     defaults would not start it on battery and would stop it when a laptop unplugs, so say otherwise.
    # Its key owned by Administrators, theirs and SYSTEM's only, checked on every run (a run stopped half-way is
    # mended by the next): ssh.exe, run by SYSTEM, refuses a private key another account owns or may read
    # (Win32-OpenSSH, w32-sshfileperm.c), and a key an administrator makes may be that administrator's own.
    $watcherKey = Join-Path $ConfigDir $WatcherKeyName
    if (Get-AclProblem $watcherKey) { Set-ExactAcl $watcherKey @('*S-1-5-32-544:F', '*S-1-5-18:F') }
    # Stopped means stopped before it starts again: with Task Scheduler's default (MultipleInstances IgnoreNew), a
    # start while the old instance still ends is dropped.
    function Stop-DirectTask {
        Stop-ScheduledTask -TaskName $DirectTask
        for ($i = 0; $i -lt 40 -and "$((Get-ScheduledTask -TaskName $DirectTask -ErrorAction SilentlyContinue).State)" -eq 'Running'; $i++) { Start-Sleep -Milliseconds 250 }
    }
    $directArgument = "-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$directScript`" -Watch"
    $directPrincipal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
    $task = Get-ScheduledTask -TaskName $DirectTask -ErrorAction SilentlyContinue
    $current = Test-TaskCurrent $task $directArgument $directPrincipal
    $running = $null -ne $task -and "$($task.State)" -eq 'Running'
    $renewed = -not $same -or $directBefore -ne (Get-FileHash -LiteralPath $directScript).Hash
    if (-not $current) {
        if ($running) { Stop-DirectTask }
        Register-ScheduledTask -Force -TaskName $DirectTask -Action (New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $directArgument) `
            -Trigger (New-ScheduledTaskTrigger -AtStartup) -Principal $directPrincipal -Settings (New-WatcherTaskSettings) | Out-Null
        Start-ScheduledTask -TaskName $DirectTask
        Write-Output "registered: scheduled task '$DirectTask' (relayed tunnels tried direct every 30 s, as SYSTEM; running now and from then on)"
    } elseif ($renewed -or -not $running) {
        if ($running) { Stop-DirectTask }
        Start-ScheduledTask -TaskName $DirectTask
        Write-Output "$(if ($running) { 'restarted' } else { 'started' }): scheduled task '$DirectTask'"
    }

    # 5. Routing for WSL2 (needs the Nebula adapter, so after the service), now and from then on: WSL2 gets a new
    #    address each time it starts. WSL distros and WSL's NAT belong to one Windows account (wsl_user in the
    #    inventory, else the account flatnet logs in as), which may be a standard user: only the questions put to
    #    wsl.exe run as it; routes, forwarding and the firewall are set here, as this administrator, and by SYSTEM.
    $WslUser = 'flatnet'
    $wslProblem = Get-WslVersionProblem
    if ($wslProblem) { Stop-Install "$wslProblem, then re-run" }
    # WSL is its owner's: the distro check runs as $WslUser (here, or in $WslUser's session when that is another
    # account; _wsl-owner.ps1.scriban). wsl.exe writes UTF-16, which 5.1 reads with NULs to drop.
    $distros = @(Invoke-Wsl -Owner $WslUser -Arguments @('-l', '-q') | ForEach-Object { "$_".Replace([string][char]0, '').Trim() } | Where-Object { $_ })
    if ($LASTEXITCODE -ne 0) { $distros = @() }   # none: wsl.exe says so in words and exits -1
    if ($distros.Count -eq 0) { Stop-Install "$WslUser has no WSL distro; install one as $WslUser (wsl.exe --install -d Ubuntu), or set wsl_user: in hosts/$HostName.yaml to the account that has it" }
    # Where the owner's task reports WSL2's address for SYSTEM's watcher: a folder made here, its ACL fresh
    # (Administrators, SYSTEM, and the owner, who writes there; no one else).
    $reportDir = Join-Path $WslOwnerStaging 'wsl'
    $ownerSid = Get-AccountSid $WslUser
    if (-not $ownerSid) { Stop-Install "$WslUser (WSL's owner) is not an account of this PC or its domain; set wsl_user: in hosts/$HostName.yaml to the account that runs WSL" }
    if (-not (Test-Path -LiteralPath $reportDir)) { New-Item -ItemType Directory -Path $reportDir | Out-Null }
    if (Get-AclProblem $reportDir -Writers @($ownerSid)) { Set-ExactAcl $reportDir ($AdminsAndSystem + "*${ownerSid}:(OI)(CI)M") }
    # It throws on failure; once it has run through, what its own native commands last returned does not count.
    $setupRouting = Join-Path $ScriptsDir 'setup-routing.ps1'
    $routing = @(& $setupRouting -WslUser $WslUser -Root $Root)
    $routing
    # Two tasks keep the route on WSL2's current address after it restarts: the owner's reports the address (from
    # logon, unelevated), SYSTEM's applies it (from startup); on battery too (New-WatcherTaskSettings).
    $settings = New-WatcherTaskSettings
    $tasks = @(
        @{ Name = $ReportTask; Mode = 'Report'; User = $WslUser; Trigger = (New-ScheduledTaskTrigger -AtLogOn -User $WslUser)
           Principal = (New-ScheduledTaskPrincipal -UserId $WslUser -LogonType Interactive -RunLevel Limited); What = "reports WSL2's address, as $WslUser" },
        @{ Name = $RoutingTask; Mode = 'Watch'; User = 'SYSTEM'; Trigger = (New-ScheduledTaskTrigger -AtStartup)
           Principal = (New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest); What = "keeps routing on WSL2's current address, as SYSTEM" })
    foreach ($t in $tasks) {
        $taskArgument = "-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$setupRouting`" -$($t.Mode) -WslUser `"$WslUser`""
        $task = Get-ScheduledTask -TaskName $t.Name -ErrorAction SilentlyContinue
        $current = Test-TaskCurrent $task $taskArgument $t.Principal
        if (-not $current) {
            # Re-registering leaves a running instance running the old script: stopped first.
            if ($null -ne $task -and "$($task.State)" -eq 'Running') { Stop-ScheduledTask -TaskName $t.Name }
            $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $taskArgument
            Register-ScheduledTask -Force -TaskName $t.Name -Action $action -Trigger $t.Trigger -Principal $t.Principal -Settings $settings | Out-Null
            Start-ScheduledTask -TaskName $t.Name
            # The owner's runs in the owner's session: at once when they are logged on, else from their next logon.
            $when = if ($t.User -eq 'SYSTEM' -or (Test-LoggedOn $WslUser)) { 'running now and from then on' } else { "from $WslUser's next logon on: $WslUser is not logged on now, so until then run ConfigureRouting after WSL2 restarts" }
            Write-Output "registered: scheduled task '$($t.Name)' ($($t.What); $when)"
        } elseif ("$($task.State)" -ne 'Running') {
            Start-ScheduledTask -TaskName $t.Name
            Write-Output "started: scheduled task '$($t.Name)'"
        }
    }

    # 6. Done: what runs now is this bundle (flatnet records it once routing is in place too). The uploaded copy is
    #    removed below, whatever happened; a bundle unpacked by hand is left to its owner.
    Copy-Item -Force -LiteralPath (Join-Path $Here 'manifest.json') -Destination (Join-Path $Root 'installed-manifest.pending.json')
    if (-not $uploaded -and (Test-Path -LiteralPath (Join-Path $Here 'host.key'))) {
        Write-Output "note: $(Join-Path $Here 'host.key') is a copy of this host's private key; delete it (the installed one is in $ConfigDir)"
    }
} finally {
    if ($uploaded) { try { Remove-Tree $incoming } catch { } }
}
