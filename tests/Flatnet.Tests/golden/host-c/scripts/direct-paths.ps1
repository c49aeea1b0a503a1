<#
.SYNOPSIS
    direct-paths.ps1 for host-c: moves this host's relayed tunnels to direct ones, by itself, between flatnet's runs.

.DESCRIPTION
    Rendered by flatnet-automation; the Windows twin of direct-paths.sh. install.ps1 registers the scheduled task
    'flatnet direct paths', which runs it with -Watch as SYSTEM from startup.
    Why: Nebula keeps a relayed tunnel once it has one, though the two hosts could reach each other directly (behind
    cone NAT, or a NAT host and a LAN host): every byte then crosses the lighthouse. Every 30 seconds, on the
    clock (so that both ends of a tunnel act in the same second), the watcher asks this host's Nebula for its tunnels,
    closes the relayed ones on this side and pings through them: both ends' first packets open their NATs for each
    other, and the handshakes that follow go direct. Where they cannot (symmetric NAT), the relay carries the tunnel
    again within a second, and the next try for that peer waits twice as long (up to 7680 s).
    It talks only to Nebula's admin interface on 127.0.0.1 (Windows' OpenSSH Client, ssh.exe), with a key made on
    this host at install. Log: <Root>\logs\direct-paths.log, only what it moved, with the time. Valid Windows PowerShell 5.1.

.PARAMETER Status
    This host's tunnels now, as its Nebula says: peer, then "direct ADDR:PORT" or "relayed via RELAY".
.PARAMETER Once
    One pass now, whatever the clock.
.PARAMETER Watch
    Run for ever (the scheduled task).
#>
[CmdletBinding()]
param([switch]$Status, [switch]$Once, [switch]$Watch)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$Root = Split-Path -Parent (Split-Path -Parent $MyInvocation.MyCommand.Path)
$ConfigDir = Join-Path $Root 'config\nebula'
$KeyName = 'watcher_ed25519'
$KnownName = 'watcher_known_hosts'
$Port = 2222
$User = 'flatnet-watcher'
$Interval = 30
$MaxDoublings = 8
$Log = Join-Path $Root 'logs\direct-paths.log'
$State = Join-Path $Root 'run\direct-paths.state'
$Ssh = Join-Path $env:WINDIR 'System32\OpenSSH\ssh.exe'

# One command to this host's Nebula (its sshd, 127.0.0.1 only), its host key pinned at install: its output, or
# $null when it does not answer. Never more than 15 s: ssh.exe can hang under Task Scheduler (PowerShell/
# Win32-OpenSSH #2448), which would stop the watcher for good. Only stdout is read as the answer. It runs in the
# config folder and names its key and known_hosts there: ssh splits an option's value at spaces (C:\Program Files).
# ssh.exe reads /dev/null as NUL: no user config, no global known hosts.
function Invoke-Admin([string]$Command) {
    $start = New-Object System.Diagnostics.ProcessStartInfo
    $start.FileName = $Ssh
    $start.Arguments = "-n -T -F /dev/null -i $KeyName -p $Port -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes " +
        "-o UserKnownHostsFile=$KnownName -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR $User@127.0.0.1 $Command"
    $start.WorkingDirectory = $ConfigDir
    $start.UseShellExecute = $false
    $start.CreateNoWindow = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $out = $process.StandardOutput.ReadToEndAsync()
        $null = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit(15000)) { try { $process.Kill() } catch { }; return $null }
        $process.WaitForExit()
        if ($process.ExitCode -ne 0) { return $null }
        $out.Result
    } finally { $process.Dispose() }
}

# Each tunnel as Peer and State ("direct ADDR:PORT" or "relayed via RELAY"), from list-hostmap -json: Nebula's
# ControlHostInfo (control.go). The peer is vpnIp up to 1.9, vpnAddrs from 1.10; currentRemote is an object up to
# 1.9 and a string from 1.10, and names no address when relayed. $null when Nebula does not answer.
function Get-Tunnels {
    $json = Invoke-Admin 'list-hostmap -json'
    # Nebula's sshd exits 0 whatever it answers: only a JSON array is an answer.
    if ($null -eq $json -or -not $json.TrimStart().StartsWith('[')) { return $null }
    $parsed = $json | ConvertFrom-Json
    $tunnels = @()
    foreach ($h in $parsed) {
        $names = @($h.PSObject.Properties | ForEach-Object { $_.Name })
        $peer = if ($names -contains 'vpnIp' -and $h.vpnIp) { "$($h.vpnIp)" } elseif ($names -contains 'vpnAddrs' -and @($h.vpnAddrs).Count -gt 0) { "$(@($h.vpnAddrs)[0])" } else { '' }
        if ($peer -notmatch '^[0-9A-Fa-f.:]+$') { continue }   # only an address is ever a word of a command below
        $remote = ''
        if ($names -contains 'currentRemote' -and $null -ne $h.currentRemote) {
            $r = $h.currentRemote
            $remote = if ($r -is [string]) { $r } elseif (@($r.PSObject.Properties | ForEach-Object { $_.Name }) -contains 'ip') {
                if ("$($r.ip)".Contains(':')) { "[$($r.ip)]:$($r.port)" } else { "$($r.ip):$($r.port)" } } else { '' }
        }
        $relays = if ($names -contains 'currentRelaysToMe' -and $null -ne $h.currentRelaysToMe) { @($h.currentRelaysToMe) -join ',' } else { '' }
        if (($remote -match '^[0-9.]+:[0-9]+$' -and $remote -notmatch '^0\.0\.0\.0:') -or $remote -match '^\[.*\]:[0-9]+$') { $kind = "direct $remote" }
        elseif ($relays) { $kind = "relayed via $relays" }
        else { continue }
        $tunnels += [pscustomobject]@{ Peer = $peer; State = $kind }
    }
    , $tunnels
}

# Peers tried before and still relayed, and their failed tries, kept in run\direct-paths.state across restarts.
function Read-Failures {
    $failures = @{}
    # Only a small plain file of the watcher's own, only ASCII digits ('\d' takes any script's digits, which [int] refuses).
    $item = Get-Item -LiteralPath $State -Force -ErrorAction SilentlyContinue
    if ($null -ne $item -and -not $item.PSIsContainer -and -not ($item.Attributes -band [IO.FileAttributes]::ReparsePoint) -and $item.Length -le 65536) {
        foreach ($line in @(Get-Content -LiteralPath $State)) { $w = "$line".Split(' '); if ($w.Count -eq 2 -and $w[1] -cmatch '^[0-9]{1,3}$' -and [int]$w[1] -le $MaxDoublings) { $failures[$w[0]] = [int]$w[1] } }
    }
    $failures
}

function Save-Failures([hashtable]$Failures) {
    Set-Content -LiteralPath $State -Value @($Failures.Keys | Sort-Object | ForEach-Object { "$_ $($Failures[$_])" })
}

# One look, and one try for each relayed peer that is due: a peer is tried when the slot number is a multiple of
# 2^(its failed tries), so both ends, counting the same tries, stay in step. A tunnel gone is forgotten.
function Invoke-Pass([long]$Slot, [hashtable]$Failures) {
    $now = Get-Tunnels
    if ($null -eq $now) { return @("Nebula's admin interface did not answer (is the nebula service running?)") }
    $relayed = @($now | Where-Object { $_.State -like 'relayed*' } | ForEach-Object { $_.Peer })
    foreach ($peer in @($Failures.Keys)) { if ($relayed -notcontains $peer) { $Failures.Remove($peer) } }
    $due = @($relayed | Where-Object { $Slot % [long][math]::Pow(2, $(if ($Failures.ContainsKey($_)) { $Failures[$_] } else { 0 })) -eq 0 })
    if ($due.Count -eq 0) { return @() }
    foreach ($peer in $due) { Invoke-Admin "close-tunnel -local-only $peer" | Out-Null }
    # Three rounds of pings, every peer at once in each (.NET's Ping: IcmpSendEcho2 on Windows, no process per ping).
    for ($round = 0; $round -lt 3; $round++) {
        $pingers = @($due | ForEach-Object { New-Object System.Net.NetworkInformation.Ping })
        try {
            $pings = @(for ($i = 0; $i -lt $due.Count; $i++) { $pingers[$i].SendPingAsync($due[$i], 1000) })
            [void][System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]$pings, 2000)
        } catch { } finally { foreach ($p in $pingers) { $p.Dispose() } }
        Start-Sleep -Milliseconds 200
    }
    Start-Sleep -Seconds 1
    $after = Get-Tunnels
    foreach ($peer in $due) {
        $found = if ($null -ne $after) { @($after | Where-Object { $_.Peer -eq $peer } | ForEach-Object { $_.State })[0..0] -join '' } else { '' }
        if ($found -like 'direct*') {
            $Failures.Remove($peer)
            "${peer}: direct now ($found), was relayed"
        } else {
            $f = [math]::Min($MaxDoublings, $(if ($Failures.ContainsKey($peer)) { $Failures[$peer] } else { 0 }) + 1)
            $Failures[$peer] = $f
            $was = if ($found) { $found } else { 'without a tunnel' }
            "${peer}: still $was after a direct try; next try in $($Interval * [math]::Pow(2, $f)) s or less"
        }
    }
}

if ($Status) {
    $now = Get-Tunnels
    if ($null -eq $now) { throw "direct-paths.ps1: Nebula's admin interface on 127.0.0.1:$Port did not answer: is the nebula service running? (Get-Service nebula)" }
    if ($now.Count -eq 0) { 'no tunnels' } else { foreach ($t in $now) { "$($t.Peer) $($t.State)" } }
} elseif ($Once) {
    $failures = Read-Failures
    Invoke-Pass 0 $failures
    Save-Failures $failures
} elseif ($Watch) {
    $last = ''
    $period = [long]$Interval * 1000
    while ($true) {
        # The next slot, named before the sleep (a clock set back a little, or a wait that ends a tick early, must not
        # make it the one before), then slept to, to the millisecond.
        $now = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
        $slot = [long][math]::Floor($now / $period) + 1
        if ($slot * $period - $now -lt 50) { $slot++ }
        Start-Sleep -Milliseconds ([int]($slot * $period - $now))
        # Nothing in a pass may end the watcher: Task Scheduler does not start again a script that stopped on an error.
        try {
            $failures = Read-Failures
            $out = try { @(Invoke-Pass $slot $failures) -join "`n" } catch { "a pass failed: $($_.Exception.Message)" }
            Save-Failures $failures
            # What changed, with the time; the same words twice in a row (Nebula stopped for a day) once.
            if ($out -and $out -ne $last) {
                $stamp = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
                Add-Content -LiteralPath $Log -Value (@($out -split "`n") | ForEach-Object { "$stamp $_" })
                # The log stays small: past 1 MiB it starts again, the previous one kept as .1.
                if ((Get-Item -LiteralPath $Log).Length -gt 1MB) { Move-Item -Force -LiteralPath $Log -Destination "$Log.1" }
            }
            $last = $out
        } catch { }
    }
} else {
    throw 'direct-paths.ps1: say -Status, -Once or -Watch (Get-Help .\direct-paths.ps1)'
}
