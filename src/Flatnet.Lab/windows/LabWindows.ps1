# The fake Windows (FakeWindows.ps1) made real for one lab host, loaded after it by the stand-in's powershell.exe.
# What a cmdlet can do for real on Linux it does to the host's network namespace; the rest keeps the fake's state,
# saved in the host's lab folder between commands as Windows keeps it between sessions:
#   - Get-NetIPInterface, Set-NetIPInterface: the namespace's links under Windows' names ('vEthernet (WSL)' is the
#     link to the WSL2 namespace, 'Ethernet' the LAN, 'nebula1' Nebula's tun), and each link's own IPv4 forwarding,
#     which is per interface as on Windows;
#   - Get-NetRoute, New-NetRoute, Remove-NetRoute: the namespace's routing table;
#   - Nebula's service (Start-, Stop-, Restart-, Get-Service): the real nebula of the host's release, on /dev/net/tun
#     in place of wintun, its output in the Application log that Get-WinEvent reads;
#   - wsl.exe: the command runs in the host's WSL2 namespace (the stand-in's wsl.exe); ping.exe: the real ping;
#   - the routing watcher's scheduled tasks: loops of their own, as their principal, until stopped or unregistered;
#   - OpenSSH Server's service: the lab's sshd of this host, its files in %ProgramData%\ssh as on Windows;
#   - %SystemRoot%\System32\drivers\etc\hosts: the file the host's namespace resolves names with.
# Environment (host.env): FLATNET_LAB_STATE (this host's state folder), FLATNET_LAB_ROOT (its install root),
# FLATNET_LAB_NEBULA (its nebula), FLATNET_LAB_BIN (the stand-in's programs).

$global:LabState = Join-Path $env:FLATNET_LAB_STATE 'fake-windows.json'
$global:LabNebulaPid = Join-Path $env:FLATNET_LAB_STATE 'nebula.pid'
$global:LabNebulaLog = Join-Path $env:FLATNET_LAB_STATE 'nebula.log'
$global:LabAliases = [ordered]@{ 'vEthernet (WSL)' = 'veth-wsl'; 'nebula1' = 'nebula1'; 'Ethernet' = 'lan0' }
# What the fake keeps that Windows keeps between sessions.
$global:LabKept = @('Services', 'Tasks', 'Registry', 'FirewallRules', 'RuleProfiles', 'NamedRules', 'HyperVRules', 'Acls', 'FailureFlags', 'SshCapability')
$global:LabFakeWsl = ${function:global:wsl.exe}
$global:LabFakeStartService = ${function:global:Start-Service}
$global:LabFakeStartTask = ${function:global:Start-ScheduledTask}
$global:LabFakeStopTask = ${function:global:Stop-ScheduledTask}
$global:LabFakeUnregisterTask = ${function:global:Unregister-ScheduledTask}

function global:Enter-LabWindows {
    # The lab logs in as root, which owns WSL2 here; a scheduled task runs as its principal (SYSTEM, or WSL2's owner).
    $env:USERNAME = if ($env:FLATNET_LAB_USER) { $env:FLATNET_LAB_USER } else { 'root' }
    # A task's loop runs for ever beside the commands that follow: what it does is real, and it saves no fake state.
    $global:LabSaves = -not $env:FLATNET_LAB_TASK
    Reset-FakeWindows
    # %ProgramData%: OpenSSH's files, where the lab's sshd for this host reads them (after the fake's reset, which clears its own).
    $env:ProgramData = $env:FLATNET_LAB_PROGRAMDATA
    # %SystemRoot%: its System32\drivers\etc\hosts is the file this host's namespace resolves names with (the lab
    # binds it over the namespace's /etc/hosts), as Windows' DNS Client reads its hosts file.
    $env:SystemRoot = $env:FLATNET_LAB_SYSTEMROOT
    $FakeWindows.ServiceRegistry = $env:FAKE_SERVICE_REGISTRY
    $FakeWindows.NebulaExe = Join-Path $env:FLATNET_LAB_ROOT 'nebula/nebula.exe'
    $FakeWindows.NebulaServicePath = $FakeWindows.NebulaExe
    $FakeWindows.LanAddress = $env:FLATNET_LAB_LAN_ADDRESS
    if (-not (Test-Path -LiteralPath $global:LabState)) { return }
    $saved = Get-Content -Raw -LiteralPath $global:LabState | ConvertFrom-Json -AsHashtable
    foreach ($name in $global:LabKept) {
        if (-not $saved.ContainsKey($name)) { continue }
        $kept = $FakeWindows.$name
        if ($kept -is [System.Collections.IList]) { foreach ($item in @($saved[$name])) { [void]$kept.Add($item) } }
        elseif ($kept -is [System.Collections.IDictionary]) { foreach ($key in $saved[$name].Keys) { $kept[$key] = $saved[$name][$key] } }
        else { $FakeWindows.$name = $saved[$name] }
    }
}

function global:Exit-LabWindows {
    if (-not $global:LabSaves) { Remove-FakeWindows; return }
    $kept = [ordered]@{}
    foreach ($name in $global:LabKept) { $kept[$name] = $FakeWindows.$name }
    $kept | ConvertTo-Json -Depth 8 | Set-Content -LiteralPath $global:LabState
    Remove-FakeWindows
}

function global:Get-LabLink([string]$Alias) {
    $dev = $global:LabAliases[$Alias]
    $link = @(ip -j link show | ConvertFrom-Json) | Where-Object { $_.ifname -eq $dev }
    if (-not $link) { return }
    $forwarding = (Get-Content -LiteralPath "/proc/sys/net/ipv4/conf/$dev/forwarding").Trim()
    [pscustomobject]@{ InterfaceAlias = $Alias; ifIndex = [int]$link.ifindex; AddressFamily = 'IPv4'
        Forwarding = $(if ($forwarding -eq '1') { 'Enabled' } else { 'Disabled' }); NlMtu = [int]$link.mtu; Device = $dev }
}

function global:Get-NetIPInterface {
    param([string]$AddressFamily, [string]$InterfaceAlias, [object]$ErrorAction)
    foreach ($alias in $global:LabAliases.Keys) {
        if ($InterfaceAlias -and $InterfaceAlias -ne $alias) { continue }
        Get-LabLink $alias
    }
}

function global:Get-LabDevice([int]$Index) {
    $link = @(ip -j link show | ConvertFrom-Json) | Where-Object { $_.ifindex -eq $Index }
    if (-not $link) { throw "No MSFT_NetIPInterface objects found with property 'InterfaceIndex' equal to '$Index'." }
    $link.ifname
}

function global:Set-NetIPInterface {
    param([int]$InterfaceIndex, [string]$AddressFamily, [string]$Forwarding)
    Assert-FakeElevated 'Set-NetIPInterface'
    $FakeWindows.Changes.Add((Format-FakeCall 'Set-NetIPInterface' $PSBoundParameters))
    $dev = Get-LabDevice $InterfaceIndex
    sysctl -q -w "net.ipv4.conf.$dev.forwarding=$(if ($Forwarding -eq 'Enabled') { 1 } else { 0 })" | Out-Null
}

function global:Get-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [object]$ErrorAction)
    $routes = if ($DestinationPrefix) { @(ip -j route show exact $DestinationPrefix | ConvertFrom-Json) } else { @(ip -j route show | ConvertFrom-Json) }
    $links = @(ip -j link show | ConvertFrom-Json)
    foreach ($r in $routes) {
        $prefix = if ($r.dst -eq 'default') { '0.0.0.0/0' } elseif ($r.dst -notlike '*/*') { "$($r.dst)/32" } else { $r.dst }
        [pscustomobject]@{ DestinationPrefix = $prefix; NextHop = $(if ($r.gateway) { $r.gateway } else { '0.0.0.0' })
            ifIndex = [int](($links | Where-Object { $_.ifname -eq $r.dev }).ifindex) }
    }
}

function global:New-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [int]$InterfaceIndex, [string]$NextHop, [string]$PolicyStore)
    Assert-FakeElevated 'New-NetRoute'
    $FakeWindows.Changes.Add((Format-FakeCall 'New-NetRoute' $PSBoundParameters))
    $dev = Get-LabDevice $InterfaceIndex
    $via = if ($NextHop -and $NextHop -ne '0.0.0.0') { @('via', $NextHop) } else { @() }
    ip route add $DestinationPrefix @via dev $dev
    if ($LASTEXITCODE -ne 0) { throw "New-NetRoute: Instance MSFT_NetRoute already exists" }
    [pscustomobject]@{ DestinationPrefix = $DestinationPrefix; NextHop = $NextHop; ifIndex = $InterfaceIndex }
}

function global:Remove-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [string]$NextHop, [switch]$Confirm)
    Assert-FakeElevated 'Remove-NetRoute'
    $FakeWindows.Changes.Add((Format-FakeCall 'Remove-NetRoute' $PSBoundParameters))
    $via = if ($NextHop -and $NextHop -ne '0.0.0.0') { @('via', $NextHop) } else { @() }
    ip route del $DestinationPrefix @via 2>$null
}

# A process the stand-in started (Nebula's service, sshd, a task's loop) runs while its pid file names a live process.
function global:Test-LabPidFile([string]$File) {
    (Test-Path -LiteralPath $File) -and (Test-Path "/proc/$((Get-Content -LiteralPath $File).Trim())")
}

# Nebula's service: the real nebula, started as Windows' Service Control Manager would start nebula.exe -service run.
function global:Test-LabNebula { Test-LabPidFile $global:LabNebulaPid }

function global:Stop-LabNebula {
    if (Test-LabNebula) {
        $id = (Get-Content -LiteralPath $global:LabNebulaPid).Trim()
        /bin/kill $id 2>$null
        for ($i = 0; $i -lt 50 -and (Test-Path "/proc/$id"); $i++) { Start-Sleep -Milliseconds 100 }
    }
    Remove-Item -LiteralPath $global:LabNebulaPid -ErrorAction SilentlyContinue
}

function global:Start-FakeNebula([string]$Name) {
    Stop-LabNebula
    $exe = $FakeWindows.NebulaExe
    # Nebula starts only with wintun.dll beside nebula.exe (overlay/tun_windows.go).
    $wintun = Join-Path (Split-Path -Parent $exe) 'dist/windows/wintun/bin/amd64/wintun.dll'
    $config = Join-Path $env:FLATNET_LAB_ROOT 'config/nebula/config.yaml'
    if ((Test-Path -LiteralPath $wintun) -and (Test-Path -LiteralPath $config)) {
        sh -c 'setsid "$1" -config "$2" >>"$3" 2>&1 </dev/null & echo $! >"$4"' sh $env:FLATNET_LAB_NEBULA $config $global:LabNebulaLog $global:LabNebulaPid
        # Running once its tun is up; a config it cannot run ends the process, and the service Stopped.
        for ($i = 0; $i -lt 50 -and (Test-LabNebula) -and -not (Get-LabLink 'nebula1'); $i++) { Start-Sleep -Milliseconds 100 }
    }
    $FakeWindows.Services[$Name].Status = if (Test-LabNebula) { 'Running' } else { 'Stopped' }
    $FakeWindows.Services[$Name].Exe = $exe
}

# OpenSSH Server's service (once join.ps1 has added the capability): the lab's sshd for this host, with its host key
# made at its first start in %ProgramData%\ssh, as Windows' sshd makes it.
function global:Test-LabSshd { Test-LabPidFile $env:FLATNET_LAB_SSHD_PID }

function global:Start-Service {
    [CmdletBinding()] param([string]$Name)
    if ($Name -ne 'sshd') { & $global:LabFakeStartService -Name $Name; return }
    Sync-FakeServices
    $FakeWindows.Changes.Add((Format-FakeCall 'Start-Service' $PSBoundParameters))
    if (-not $FakeWindows.Services.ContainsKey($Name)) { throw "Cannot find any service with service name '$Name'." }
    $keys = Join-Path $env:ProgramData 'ssh'
    New-Item -ItemType Directory -Force -Path $keys | Out-Null
    $key = Join-Path $keys 'ssh_host_ed25519_key'
    if (-not (Test-Path -LiteralPath $key)) { ssh-keygen -q -t ed25519 -N '' -C 'flatnet-lab' -f $key | Out-Null }
    if (-not (Test-LabSshd)) { & $env:FLATNET_LAB_SSHD -f $env:FLATNET_LAB_SSHD_CONFIG -E $env:FLATNET_LAB_SSHD_LOG }
    for ($i = 0; $i -lt 50 -and -not (Test-LabSshd); $i++) { Start-Sleep -Milliseconds 100 }
    $FakeWindows.Services[$Name].Status = if (Test-LabSshd) { 'Running' } else { 'Stopped' }
    Assert-FakeServiceStarted $Name 'StartServiceCommand'
}

function global:Get-Service {
    param([string]$Name, [object]$ErrorAction)
    Sync-FakeServices
    if (-not $FakeWindows.Services.ContainsKey($Name)) { return }
    if ($Name -eq 'nebula') { $FakeWindows.Services[$Name].Status = if (Test-LabNebula) { 'Running' } else { 'Stopped' } }
    if ($Name -eq 'sshd') { $FakeWindows.Services[$Name].Status = if (Test-LabSshd) { 'Running' } else { 'Stopped' } }
    [pscustomobject]@{ Name = $Name; Status = $FakeWindows.Services[$Name].Status }
}

function global:Stop-Service {
    [CmdletBinding()] param([string]$Name)
    $FakeWindows.Changes.Add((Format-FakeCall 'Stop-Service' $PSBoundParameters))
    if ($Name -eq 'nebula') { Stop-LabNebula }
    if ($FakeWindows.Services.ContainsKey($Name)) { $FakeWindows.Services[$Name].Status = 'Stopped' }
}

# Nebula's service writes each log line to the Application event log; here, its output file.
function global:Get-WinEvent {
    param([hashtable]$FilterHashtable, [int]$MaxEvents, [object]$ErrorAction)
    if (-not (Test-Path -LiteralPath $global:LabNebulaLog)) { return }
    $lines = @(Get-Content -Tail $MaxEvents -LiteralPath $global:LabNebulaLog)
    [array]::Reverse($lines)   # newest first, as Get-WinEvent returns them
    foreach ($line in $lines) { [pscustomobject]@{ Message = $line } }
}

function global:wsl.exe {
    if ($args -contains '--version' -or $args -contains '-l' -or $args -contains '--list' -or $env:USERNAME -ne $FakeWindows.WslOwner) { & $global:LabFakeWsl @args; return }
    & (Join-Path $env:FLATNET_LAB_BIN 'wsl.exe') @args
}

# ping.exe -n COUNT -w MS [-l SIZE] [-f] TARGET: the real ping, its replies in Windows' words.
function global:ping.exe {
    $count = 4; $wait = 1000; $size = 32; $df = $false; $target = $null
    for ($i = 0; $i -lt $args.Count; $i++) {
        switch -CaseSensitive ("$($args[$i])") {
            '-n' { $count = [int]$args[++$i] }
            '-w' { $wait = [int]$args[++$i] }
            '-l' { $size = [int]$args[++$i] }
            '-f' { $df = $true }
            default { $target = "$($args[$i])" }
        }
    }
    $options = @('-c', $count, '-W', [math]::Max(1, [math]::Ceiling($wait / 1000)), '-s', $size) + $(if ($df) { @('-M', 'do') } else { @() })
    $out = @(ping @options $target 2>&1)
    $code = $LASTEXITCODE
    foreach ($line in $out) {
        if ("$line" -match 'bytes from ([0-9.]+).*ttl=(\d+) time=([0-9.]+) ms') { "Reply from $($Matches[1]): bytes=$size time=$($Matches[3])ms TTL=$($Matches[2])" }
    }
    if ($code -ne 0) { 'Request timed out.' }
    $global:LASTEXITCODE = $code
}

# A script's parameters as powershell.exe -File takes them after the path (one per line): -Name value, or -Switch.
function global:ConvertTo-LabParameters([string]$Lines) {
    $words = @("$Lines" -split "`n" | Where-Object { $_ -ne '' })
    $parameters = @{}
    for ($i = 0; $i -lt $words.Count; $i++) {
        if (-not $words[$i].StartsWith('-')) { throw "powershell.exe (lab stand-in): '$($words[$i])' is not a -Name" }
        $name = $words[$i].Substring(1)
        if ($i + 1 -lt $words.Count -and -not $words[$i + 1].StartsWith('-')) { $parameters[$name] = $words[++$i] } else { $parameters[$name] = $true }
    }
    $parameters
}

# The routing watcher's tasks (-Watch as SYSTEM, -Report as WSL2's owner) run as Task Scheduler runs them: a loop
# of their own, as their principal, until stopped; the one-shot tasks run as the fake runs them.
function global:Get-LabTaskFile([string]$TaskName, [string]$Extension) { Join-Path $env:FLATNET_LAB_STATE "task-$($TaskName -replace '[^A-Za-z0-9]', '_').$Extension" }

# Whether a task is the watcher's (it runs for ever) rather than a one-shot.
function global:Test-LabLoopTask([object]$Task) { $Task -and "$(@($Task.Actions)[0].Arguments)" -match ' -(Watch|Report)\b' }

function global:Test-LabTask([string]$TaskName) { Test-LabPidFile (Get-LabTaskFile $TaskName 'pid') }

function global:Stop-LabTask([string]$TaskName) {
    $file = Get-LabTaskFile $TaskName 'pid'
    if (Test-LabTask $TaskName) { /bin/kill -- "-$((Get-Content -LiteralPath $file).Trim())" 2>$null }   # its process group: pwsh and what it runs
    Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue
}

function global:Start-ScheduledTask {
    param([string]$TaskName)
    $task = $FakeWindows.Tasks[$TaskName]
    if (-not (Test-LabLoopTask $task)) { & $global:LabFakeStartTask -TaskName $TaskName; return }
    $FakeWindows.Changes.Add((Format-FakeCall 'Start-ScheduledTask' $PSBoundParameters))
    Stop-LabTask $TaskName
    $user = "$($task.Principal.UserId)".Split('\')[-1]
    $words = @([regex]::Matches("$(@($task.Actions)[0].Arguments)", '"([^"]*)"|(\S+)') | ForEach-Object { if ($_.Groups[1].Success) { $_.Groups[1].Value } else { $_.Groups[2].Value } })
    sh -c 'u=$1; p=$2; l=$3; shift 3; FLATNET_LAB_USER=$u FLATNET_LAB_TASK=1 setsid "$@" >>"$l" 2>&1 </dev/null & echo $! >"$p"' sh $user (Get-LabTaskFile $TaskName 'pid') (Get-LabTaskFile $TaskName 'log') (Join-Path $env:FLATNET_LAB_BIN 'powershell.exe') @words
    $task.State = 'Running'
}

function global:Get-ScheduledTask {
    param([string]$TaskName, [object]$ErrorAction)
    foreach ($name in @($FakeWindows.Tasks.Keys)) {
        if ($name -notlike $TaskName) { continue }
        $task = $FakeWindows.Tasks[$name]
        if (Test-LabLoopTask $task) { $task.State = if (Test-LabTask $name) { 'Running' } else { 'Ready' } }
        $task
    }
}

function global:Stop-ScheduledTask {
    param([string]$TaskName, [object]$ErrorAction)
    Stop-LabTask $TaskName
    & $global:LabFakeStopTask -TaskName $TaskName -ErrorAction SilentlyContinue
}

function global:Unregister-ScheduledTask {
    param([string]$TaskName, [switch]$Confirm)
    Stop-LabTask $TaskName
    & $global:LabFakeUnregisterTask -TaskName $TaskName -Confirm:$Confirm
}
