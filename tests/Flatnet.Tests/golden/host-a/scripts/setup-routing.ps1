<#
.SYNOPSIS
    setup-routing.ps1 for host-a: lets WSL2 reach the Nebula network, and the other hosts reach WSL2.

.DESCRIPTION
    Rendered by flatnet-automation from hosts/; re-render instead of editing. Run as Administrator after the
    Nebula service is running, and again whenever WSL2 restarts (its address changes). Idempotent: a second run
    changes nothing. Valid Windows PowerShell 5.1.

    What it sets, and nothing more:
      - IP forwarding: IPEnableRouter=1 in the registry (persistent), and forwarding on the vEthernet (WSL*)
        and Nebula ('nebula1') adapters now;
      - a route for host-a's block 10.101.1.0/24 to WSL2's current address (a stale route is replaced);
      - Windows Firewall: inbound UDP 4242 for Nebula, and ICMPv4 echo from the overlay for ping checks;
      - on Windows 11 (WSL's Hyper-V firewall, which blocks traffic into WSL2 by default): an inbound rule letting
        the overlay and the other hosts' blocks reach WSL2. Windows 10 has no such firewall; the step is skipped.

    It does NOT route the overlay 10.100.0.0/16 to WSL2. The spec's sketch
    `route add 10.100.0.0 mask 255.255.0.0 $wslIp` would compete with the route Nebula puts on its own adapter
    and send this host's Nebula traffic into WSL2. The overlay and the other hosts' blocks are Nebula's
    (its interface route and tun.unsafe_routes); WSL2 sends them here via wsl-routing.sh.

.PARAMETER WslIp
    WSL2's current address. Default: asked from WSL2 (wsl.exe hostname -I), skipping its stable 10.101.1.1.

.PARAMETER Check
    Change nothing; list what is missing and exit 1 if anything is.

.PARAMETER WslUser
    The Windows account that owns WSL here. Only the questions put to wsl.exe run as it (a standard user is enough);
    routes, forwarding and the firewall are set by the account that runs this script (an administrator, or SYSTEM).

.PARAMETER Watch
    Keep running: every -IntervalSeconds, re-apply what is missing for the address WSL2 last reported (-Report
    writes it), so the route follows WSL2 to its new address after a restart. Never starts WSL itself. The task
    'flatnet routing' runs this as SYSTEM from startup.

.PARAMETER Report
    Keep running as WSL's owner: every -IntervalSeconds, while a WSL distribution is running, write WSL2's current
    address where -Watch reads it (ROOT\run\wsl\address; only administrators, SYSTEM and the owner can write there).
    The task 'flatnet WSL address' runs this as the owner from logon, with the owner's own (unelevated) token.

.PARAMETER Passes
    With -Watch, stop after this many passes (0, the default, runs until stopped).

.PARAMETER Remove
    Undo it (RemoveHost, through uninstall.ps1): the block's route, flatnet's firewall rules and the Hyper-V
    firewall rule. IPEnableRouter and adapter forwarding stay as they are: other programs may rely on them.
#>
[CmdletBinding()]
param(
    [string]$WslIp,
    [switch]$Check,
    [switch]$Watch,
    [switch]$Report,
    [string]$WslUser = 'flatnet',
    [string]$Root = 'F:\flatnet',
    [int]$IntervalSeconds = 5,
    [int]$Passes = 0,
    [switch]$Remove
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$OwnBlock = '10.101.1.0/24'
$NebulaAdapter = 'nebula1'
$ListenPort = 4242
$Distro = ''
$PeerRanges = @('10.100.0.0/16', '10.101.0.0/16')
$NebulaRule = 'flatnet: Nebula UDP 4242'
$PingRule = 'flatnet: ICMPv4 echo from the overlay'
$WslFirewallRule = 'flatnet-overlay-to-wsl'
$WslVmCreatorId = '{40E0AC32-46A5-438A-A0B2-2B479E8F2E90}'  # WSL's id in the Hyper-V firewall
$TcpipParameters = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'

# Joined without asking for the drive (Join-Path would): -Check must run before the root is there.
$WslOwnerStaging = [IO.Path]::Combine($Root, 'run')
$ReportedAddress = [IO.Path]::Combine($WslOwnerStaging, 'wsl', 'address')

$script:Changed = 0
$script:Missing = 0
function Invoke-Step {
    param([string]$Description, [scriptblock]$Action)
    if ($Check) {
        Write-Output "missing: $Description"
        $script:Missing++
        return
    }
    Write-Output "set: $Description"
    & $Action
    $script:Changed++
}

# WSL2 also carries its stable address from OwnBlock: an address inside the block is never the one to route to.
function Test-InPrefix([string]$Address, [string]$Prefix) {  # is Address inside Prefix (a.b.c.d/n)?
    $parts = $Prefix -split '/'
    $bits = [int]$parts[1]
    $toNumber = { param($a) $b = ([Net.IPAddress]::Parse($a)).GetAddressBytes(); [uint32](($b[0] * 16777216) + ($b[1] * 65536) + ($b[2] * 256) + $b[3]) }
    $mask = if ($bits -eq 0) { [uint32]0 } else { [uint32]([uint64]4294967295 -shl (32 - $bits) -band 4294967295) }
    ((& $toNumber $Address) -band $mask) -eq ((& $toNumber $parts[0]) -band $mask)
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

function Get-WslAddress {
    $wslArgs = @()
    if ($Distro) { $wslArgs += @('-d', $Distro) }
    $output = Invoke-Wsl -Owner $WslUser -Arguments ($wslArgs + @('-e', 'hostname', '-I'))
    if ($LASTEXITCODE -ne 0 -or -not $output) {
        throw "WSL2 did not answer 'hostname -I' (exit $LASTEXITCODE). Start it with wsl.exe and re-run, or pass -WslIp."
    }
    foreach ($candidate in ("$output" -split '\s+')) {
        if ($candidate -match '^\d{1,3}(\.\d{1,3}){3}$' -and -not (Test-InPrefix $candidate $OwnBlock)) { return $candidate }
    }
    throw "WSL2 printed no address outside $OwnBlock ('$output'). Is its network up? Pass -WslIp to override."
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


# One pass: everything below, each step only when it is missing.
function Invoke-Routing {
    # Closures below (GetNewClosure) capture only this function's own variables: bind what they use here.
    $OwnBlock = $script:OwnBlock

    # --- WSL2's current address ------------------------------------------------------------------------------
    $script:WslTarget = if ($WslIp) { $WslIp } else { Get-WslAddress }
    if ($script:WslTarget -notmatch '^\d{1,3}(\.\d{1,3}){3}$') { throw "'$($script:WslTarget)' is not an IPv4 address for WSL2." }
    if (Test-InPrefix $script:WslTarget $OwnBlock) { throw "$($script:WslTarget) is inside ${OwnBlock}: that is WSL2's stable address, not the one to route to." }
    foreach ($range in $PeerRanges) { if (Test-InPrefix $script:WslTarget $range) { throw "$($script:WslTarget) is inside the mesh's $range, not an address of WSL2's own network." } }

    # --- adapters ----------------------------------------------------------------------------------------------
    # Windows 10 names it 'vEthernet (WSL)', Windows 11 'vEthernet (WSL (Hyper-V firewall))'.
    $wslAdapters = @(Get-NetIPInterface -AddressFamily IPv4 | Where-Object { $_.InterfaceAlias -like 'vEthernet (WSL*' })
    if ($wslAdapters.Count -eq 0) {
        throw "No 'vEthernet (WSL*)' adapter. Start WSL2 first. (With networkingMode=mirrored WSL2 shares Windows' addresses and needs no routing.)"
    }
    $nebulaAdapters = @(Get-NetIPInterface -AddressFamily IPv4 | Where-Object { $_.InterfaceAlias -eq $NebulaAdapter })
    if ($nebulaAdapters.Count -eq 0) {
        throw "No Nebula adapter '$NebulaAdapter'. Start the Nebula service first (Start-Service nebula), then re-run."
    }

    # --- forwarding ----------------------------------------------------------------------------------------------
    $router = Get-ItemProperty -Path $TcpipParameters -Name IPEnableRouter -ErrorAction SilentlyContinue
    if ($null -eq $router -or $router.IPEnableRouter -ne 1) {
        Invoke-Step 'IPEnableRouter = 1 (forwarding that survives a reboot)' {
            Set-ItemProperty -Path $TcpipParameters -Name IPEnableRouter -Value 1 -Type DWord
        }
    }
    foreach ($adapter in ($wslAdapters + $nebulaAdapters)) {
        if ("$($adapter.Forwarding)" -ne 'Enabled') {
            $index = $adapter.ifIndex
            Invoke-Step "forwarding on '$($adapter.InterfaceAlias)' (now)" {
                Set-NetIPInterface -InterfaceIndex $index -AddressFamily IPv4 -Forwarding Enabled
            }.GetNewClosure()
        }
    }

    # --- the route to WSL2 ---------------------------------------------------------------------------------------
    $routes = @(Get-NetRoute -AddressFamily IPv4 -DestinationPrefix $OwnBlock -ErrorAction SilentlyContinue)
    foreach ($stale in @($routes | Where-Object { $_.NextHop -ne $script:WslTarget })) {
        $hop = $stale.NextHop
        Invoke-Step "remove stale route $OwnBlock via $hop" {
            Remove-NetRoute -AddressFamily IPv4 -DestinationPrefix $OwnBlock -NextHop $hop -Confirm:$false
        }.GetNewClosure()
    }
    if (@($routes | Where-Object { $_.NextHop -eq $script:WslTarget }).Count -eq 0) {
        $wslIndex = $wslAdapters[0].ifIndex
        $target = $script:WslTarget
        # ActiveStore: WSL2's address changes at every start, so a persistent route would point at a stale one.
        Invoke-Step "route $OwnBlock via $target" {
            New-NetRoute -AddressFamily IPv4 -DestinationPrefix $OwnBlock -InterfaceIndex $wslIndex -NextHop $target -PolicyStore ActiveStore | Out-Null
        }.GetNewClosure()
    }

    # --- Windows Firewall ----------------------------------------------------------------------------------------
    # Nebula 1.11 lets its own traffic past Windows Defender Firewall itself (WFP permit filters on its adapter and
    # listen port: tun.windows_bypass_wdf, listen.windows_bypass_wdf, on by default; its CHANGELOG, #1710): the two
    # rules below are for 1.6 to 1.10, which need them.
    if (Test-NebulaBypassesWdf) { }
    elseif (-not (Get-NetFirewallRule -DisplayName $NebulaRule -ErrorAction SilentlyContinue)) {
        Invoke-Step "firewall rule '$NebulaRule'" {
            New-NetFirewallRule -DisplayName $NebulaRule -Direction Inbound -Protocol UDP -LocalPort $ListenPort -Action Allow -Profile Any | Out-Null
        }
    }
    if (Test-NebulaBypassesWdf) { }
    elseif (-not (Get-NetFirewallRule -DisplayName $PingRule -ErrorAction SilentlyContinue)) {
        Invoke-Step "firewall rule '$PingRule'" {
            New-NetFirewallRule -DisplayName $PingRule -Direction Inbound -Protocol ICMPv4 -IcmpType 8 -RemoteAddress $PeerRanges -Action Allow -Profile Any | Out-Null
        }
    }

    if (Get-Command -Name New-NetFirewallHyperVRule -ErrorAction SilentlyContinue) {
        if (-not (Get-NetFirewallHyperVRule -Name $WslFirewallRule -ErrorAction SilentlyContinue)) {
            Invoke-Step "Hyper-V firewall rule '$WslFirewallRule' (overlay into WSL2)" {
                New-NetFirewallHyperVRule -Name $WslFirewallRule -DisplayName 'flatnet: overlay to WSL2' -Direction Inbound -VMCreatorId $WslVmCreatorId -RemoteAddresses $PeerRanges -Action Allow | Out-Null
            }
        }
    }
}

# Everything Invoke-Routing sets that is flatnet's alone, and nothing else.
function Remove-Routing {
    foreach ($route in @(Get-NetRoute -AddressFamily IPv4 -DestinationPrefix $OwnBlock -ErrorAction SilentlyContinue)) {
        Remove-NetRoute -AddressFamily IPv4 -DestinationPrefix $OwnBlock -NextHop $route.NextHop -Confirm:$false
        Write-Output "removed: route $OwnBlock via $($route.NextHop)"
        $script:Changed++
    }
    foreach ($rule in @($NebulaRule, $PingRule)) {
        if (Get-NetFirewallRule -DisplayName $rule -ErrorAction SilentlyContinue) {
            Remove-NetFirewallRule -DisplayName $rule
            Write-Output "removed: firewall rule '$rule'"
            $script:Changed++
        }
    }
    if ((Get-Command -Name Remove-NetFirewallHyperVRule -ErrorAction SilentlyContinue) -and (Get-NetFirewallHyperVRule -Name $WslFirewallRule -ErrorAction SilentlyContinue)) {
        Remove-NetFirewallHyperVRule -Name $WslFirewallRule
        Write-Output "removed: Hyper-V firewall rule '$WslFirewallRule'"
        $script:Changed++
    }
}

# Routes, forwarding and the firewall change only for an elevated token (an administrator's elevated session, or
# SYSTEM's; High or System mandatory level, whatever the language of Windows); -Report and -Check change nothing.
if (-not $Report -and -not $Check -and "$(Invoke-Native whoami.exe @('/groups'))" -notmatch 'S-1-16-(12288|16384)') {
    throw 'setup-routing.ps1 sets routes, forwarding and firewall rules: run it as Administrator (WSL''s owner runs only -Report)'
}

if ($Remove) {
    Remove-Routing
    if ($script:Changed -eq 0) { Write-Output "nothing to remove: routing for host-a is not in place" }
    else { Write-Output "kept: IPEnableRouter and adapter forwarding (other programs may rely on them)" }
    exit 0
}

function Test-WslRunning {
    $running = Invoke-Wsl -Owner $WslUser -Arguments @('-l', '--running', '-q')
    return ($LASTEXITCODE -eq 0) -and ("$running" -replace '[\s\x00]', '').Length -gt 0
}

# As WSL's owner: WSL2's current address, written whole (a temporary name, then renamed) for the SYSTEM watcher;
# none while WSL2 is stopped.
if ($Report) {
    Write-Output "reporting: every $IntervalSeconds s, WSL2's address to $ReportedAddress"
    $pass = 0
    while ($Passes -eq 0 -or $pass -lt $Passes) {
        $pass++
        try {
            if (Test-WslRunning) {
                Set-Content -LiteralPath "$ReportedAddress.tmp" -Value (Get-WslAddress) -Encoding ascii
                Move-Item -Force -LiteralPath "$ReportedAddress.tmp" -Destination $ReportedAddress
            } elseif (Test-Path -LiteralPath $ReportedAddress) { Remove-Item -Force -LiteralPath $ReportedAddress }
        } catch {
            Write-Output "$(Get-Date -Format s) error: $($_.Exception.Message)"
        }
        if ($Passes -eq 0 -or $pass -lt $Passes) { Start-Sleep -Seconds $IntervalSeconds }
    }
    exit 0
}

# As SYSTEM: the route follows the address the owner's task last reported, checked as any address is.
if ($Watch) {
    Write-Output "watching: every $IntervalSeconds s, the address WSL2 reports in $ReportedAddress"
    $pass = 0
    while ($Passes -eq 0 -or $pass -lt $Passes) {
        $pass++
        # WSL's owner writes this file: SYSTEM reads it only as a small plain file (a link, or a line of gigabytes, is no address).
        $reportedItem = Get-Item -LiteralPath $ReportedAddress -Force -ErrorAction SilentlyContinue
        $reported = if ($null -ne $reportedItem -and -not $reportedItem.PSIsContainer -and -not ($reportedItem.Attributes -band [IO.FileAttributes]::ReparsePoint) -and $reportedItem.Length -le 256) { "$(Get-Content -LiteralPath $ReportedAddress -TotalCount 1)".Trim() } else { '' }
        if ($reported) {
            $script:Changed = 0
            $WslIp = $reported
            try {
                foreach ($line in @(Invoke-Routing)) { Write-Output "$(Get-Date -Format s) $line" }
            } catch {
                Write-Output "$(Get-Date -Format s) error: $($_.Exception.Message)"
            }
        }
        if ($Passes -eq 0 -or $pass -lt $Passes) { Start-Sleep -Seconds $IntervalSeconds }
    }
    exit 0
}

Invoke-Routing

if ($Check) {
    if ($script:Missing -gt 0) { exit 1 }
    Write-Output "ok: routing for host-a is in place (WSL2 at $($script:WslTarget))"
    exit 0
}
if ($script:Changed -eq 0) { Write-Output "unchanged: routing for host-a was already in place (WSL2 at $($script:WslTarget))" }
else { Write-Output "done: $($script:Changed) change(s); WSL2 at $($script:WslTarget)" }
