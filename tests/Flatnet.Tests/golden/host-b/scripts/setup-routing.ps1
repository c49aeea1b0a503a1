#Requires -RunAsAdministrator
<#
.SYNOPSIS
    setup-routing.ps1 for host-b: lets WSL2 reach the Nebula network, and the other hosts reach WSL2.

.DESCRIPTION
    Rendered by flatnet-automation from hosts/; re-render instead of editing. Run as Administrator after the
    Nebula service is running, and again whenever WSL2 restarts (its address changes). Idempotent: a second run
    changes nothing. Valid Windows PowerShell 5.1.

    What it sets, and nothing more:
      - IP forwarding: IPEnableRouter=1 in the registry (persistent), and forwarding on the vEthernet (WSL*)
        and Nebula ('nebula1') adapters now;
      - a route for host-b's block 10.101.2.0/24 to WSL2's current address (a stale route is replaced);
      - Windows Firewall: inbound UDP 4242 for Nebula, and ICMPv4 echo from the overlay for ping checks;
      - on Windows 11 (WSL's Hyper-V firewall, which blocks traffic into WSL2 by default): an inbound rule letting
        the overlay and the other hosts' blocks reach WSL2. Windows 10 has no such firewall; the step is skipped.

    It does NOT route the overlay 10.100.0.0/16 to WSL2. The spec's sketch
    `route add 10.100.0.0 mask 255.255.0.0 $wslIp` would compete with the route Nebula puts on its own adapter
    and send this host's Nebula traffic into WSL2. The overlay and the other hosts' blocks are Nebula's
    (its interface route and tun.unsafe_routes); WSL2 sends them here via wsl-routing.sh.

.PARAMETER WslIp
    WSL2's current address. Default: asked from WSL2 (wsl.exe hostname -I), skipping its stable 10.101.2.1.

.PARAMETER Check
    Change nothing; list what is missing and exit 1 if anything is.

.PARAMETER Watch
    Keep running: every -IntervalSeconds, while a WSL distribution is running, re-apply what is missing, so the
    route follows WSL2 to its new address after a restart. Never starts WSL itself. The logon task runs this.

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
    [int]$IntervalSeconds = 5,
    [int]$Passes = 0,
    [switch]$Remove
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$OwnBlock = '10.101.2.0/24'
$NebulaAdapter = 'nebula1'
$ListenPort = 4242
$Distro = ''
$PeerRanges = @('10.100.0.0/16', '10.101.0.0/16')
$NebulaRule = 'flatnet: Nebula UDP 4242'
$PingRule = 'flatnet: ICMPv4 echo from the overlay'
$WslFirewallRule = 'flatnet-overlay-to-wsl'
$WslVmCreatorId = '{40E0AC32-46A5-438A-A0B2-2B479E8F2E90}'  # WSL's id in the Hyper-V firewall
$TcpipParameters = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'

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

function Get-WslAddress {
    $wslArgs = @()
    if ($Distro) { $wslArgs += @('-d', $Distro) }
    $output = & wsl.exe @wslArgs -e hostname -I
    if ($LASTEXITCODE -ne 0 -or -not $output) {
        throw "WSL2 did not answer 'hostname -I' (exit $LASTEXITCODE). Start it with wsl.exe and re-run, or pass -WslIp."
    }
    foreach ($candidate in ("$output" -split '\s+')) {
        if ($candidate -match '^\d{1,3}(\.\d{1,3}){3}$' -and -not (Test-InPrefix $candidate $OwnBlock)) { return $candidate }
    }
    throw "WSL2 printed no address outside $OwnBlock ('$output'). Is its network up? Pass -WslIp to override."
}

# One pass: everything below, each step only when it is missing.
function Invoke-Routing {
    # Closures below (GetNewClosure) capture only this function's own variables: bind what they use here.
    $OwnBlock = $script:OwnBlock

    # --- WSL2's current address ------------------------------------------------------------------------------
    $script:WslTarget = if ($WslIp) { $WslIp } else { Get-WslAddress }
    if (Test-InPrefix $script:WslTarget $OwnBlock) { throw "$($script:WslTarget) is inside ${OwnBlock}: that is WSL2's stable address, not the one to route to." }

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
    if (-not (Get-NetFirewallRule -DisplayName $NebulaRule -ErrorAction SilentlyContinue)) {
        Invoke-Step "firewall rule '$NebulaRule'" {
            New-NetFirewallRule -DisplayName $NebulaRule -Direction Inbound -Protocol UDP -LocalPort $ListenPort -Action Allow -Profile Any | Out-Null
        }
    }
    if (-not (Get-NetFirewallRule -DisplayName $PingRule -ErrorAction SilentlyContinue)) {
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

if ($Remove) {
    Remove-Routing
    if ($script:Changed -eq 0) { Write-Output "nothing to remove: routing for host-b is not in place" }
    else { Write-Output "kept: IPEnableRouter and adapter forwarding (other programs may rely on them)" }
    exit 0
}

function Test-WslRunning {
    $running = & wsl.exe -l --running -q
    return ($LASTEXITCODE -eq 0) -and ("$running" -replace '[\s\x00]', '').Length -gt 0
}

if ($Watch) {
    Write-Output "watching: every $IntervalSeconds s while WSL2 runs"
    $pass = 0
    while ($Passes -eq 0 -or $pass -lt $Passes) {
        $pass++
        if (Test-WslRunning) {
            $script:Changed = 0
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
    Write-Output "ok: routing for host-b is in place (WSL2 at $($script:WslTarget))"
    exit 0
}
if ($script:Changed -eq 0) { Write-Output "unchanged: routing for host-b was already in place (WSL2 at $($script:WslTarget))" }
else { Write-Output "done: $($script:Changed) change(s); WSL2 at $($script:WslTarget)" }
