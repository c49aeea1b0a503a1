# Pester tests for a rendered setup-routing.ps1 (host-b of the example inventory: block 10.101.2.0/24).
param([Parameter(Mandatory)][string]$ScriptPath)

BeforeAll {
    . (Join-Path $PSScriptRoot '../../../src/Flatnet.Lab/windows/FakeWindows.ps1')
    $env:USERNAME = 'flatnet'   # the example inventory's deploy.user, so WSL is this account's
    $script:Tcpip = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
    $script:FreshChanges = @(
        "Set-ItemProperty Name=IPEnableRouter Path=$Tcpip Type=DWord Value=1",
        'Set-NetIPInterface AddressFamily=IPv4 Forwarding=Enabled InterfaceIndex=17',
        'Set-NetIPInterface AddressFamily=IPv4 Forwarding=Enabled InterfaceIndex=23',
        'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.1.2 PolicyStore=ActiveStore',
        'New-NetFirewallRule Action=Allow Direction=Inbound DisplayName=flatnet: Nebula UDP 4242 LocalPort=4242 Profile=Any Protocol=UDP',
        'New-NetFirewallRule Action=Allow Direction=Inbound DisplayName=flatnet: ICMPv4 echo from the overlay IcmpType=8 Profile=Any Protocol=ICMPv4 RemoteAddress=10.100.0.0/16,10.101.0.0/16',
        'New-NetFirewallHyperVRule Action=Allow Direction=Inbound DisplayName=flatnet: overlay to WSL2 Name=flatnet-overlay-to-wsl RemoteAddresses=10.100.0.0/16,10.101.0.0/16 VMCreatorId={40E0AC32-46A5-438A-A0B2-2B479E8F2E90}'
    )
}

AfterAll { Remove-FakeWindows }

Describe 'setup-routing.ps1' {
    BeforeEach { Reset-FakeWindows }

    It 'on a fresh host sets forwarding, routes the block to WSL2 and opens the firewall, exactly' {
        $out = & $ScriptPath
        @($FakeWindows.Changes) | Should -Be $FreshChanges
        $out[-1] | Should -Be 'done: 7 change(s); WSL2 at 172.29.1.2'
    }

    It 'on Windows 10 (no Hyper-V firewall for WSL) skips only that rule' {
        Reset-FakeWindows -Windows10
        & $ScriptPath | Out-Null
        @($FakeWindows.Changes) | Should -Be $FreshChanges[0..5]
    }

    It 'changes nothing on a second run' {
        & $ScriptPath | Out-Null
        $FakeWindows.Changes.Clear()
        $out = & $ScriptPath
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
        $out | Should -Contain 'unchanged: routing for host-b was already in place (WSL2 at 172.29.1.2)'
    }

    It 'replaces a route that points at an old WSL2 address' {
        & $ScriptPath | Out-Null
        $FakeWindows.Changes.Clear()
        $FakeWindows.WslOutput = '172.29.7.9'
        & $ScriptPath | Out-Null
        @($FakeWindows.Changes) | Should -Be @(
            'Remove-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 NextHop=172.29.1.2',
            'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.7.9 PolicyStore=ActiveStore'
        )
        @($FakeWindows.Routes | ForEach-Object { "$($_.DestinationPrefix) via $($_.NextHop)" }) | Should -Be @('10.101.2.0/24 via 172.29.7.9')
    }

    It "skips WSL2's stable address when it picks the route's next hop" {
        $FakeWindows.WslOutput = '10.101.2.1 172.29.1.2 '
        & $ScriptPath | Out-Null
        $FakeWindows.Changes | Should -Contain 'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.1.2 PolicyStore=ActiveStore'
    }

    It 'takes -WslIp instead of asking WSL2' {
        $FakeWindows.WslExit = 1
        & $ScriptPath -WslIp 172.29.3.3 | Out-Null
        $FakeWindows.Changes | Should -Contain 'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.3.3 PolicyStore=ActiveStore'
    }

    It 'never routes the overlay to WSL2 (that would fight Nebula''s own route)' {
        & $ScriptPath | Out-Null
        @($FakeWindows.Changes | Where-Object { $_ -like 'New-NetRoute*' -and $_ -like '*10.100.*' }) | Should -BeNullOrEmpty
    }

    It 'works with the Windows 11 adapter name' {
        Reset-FakeWindows -WslAlias 'vEthernet (WSL (Hyper-V firewall))'
        & $ScriptPath | Out-Null
        @($FakeWindows.Changes) | Should -Be $FreshChanges
    }

    It '-Check lists what is missing, changes nothing and exits 1' {
        $out = & $ScriptPath -Check
        $LASTEXITCODE | Should -Be 1
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
        @($out | Where-Object { $_ -like 'missing: *' }).Count | Should -Be 7
    }

    It '-Check passes once everything is in place' {
        & $ScriptPath | Out-Null
        $out = & $ScriptPath -Check
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain 'ok: routing for host-b is in place (WSL2 at 172.29.1.2)'
    }

    It 'stops with a clear error and changes nothing when Nebula is not running' {
        [void]$FakeWindows.Interfaces.RemoveAll({ param($i) $i.InterfaceAlias -eq 'nebula1' })
        { & $ScriptPath } | Should -Throw "*No Nebula adapter 'nebula1'*Start the Nebula service first*"
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    # The watcher is two tasks: WSL's owner reports the address (unelevated), SYSTEM applies it. The owner's half
    # writes only its folder; SYSTEM's checks what it reads as any address.
    It '-Report, as WSL''s owner, writes WSL2''s current address whole, and none while WSL2 is stopped' {
        $root = Join-Path $TestDrive 'report'
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'run/wsl') | Out-Null
        $FakeWindows.Elevated = $false   # the owner's own token
        $FakeWindows.WslNext.Enqueue('172.29.1.2')
        $FakeWindows.WslNext.Enqueue('172.29.7.9')
        $out = & $ScriptPath -Report -Root $root -IntervalSeconds 0 -Passes 2
        @($out)[0] | Should -BeLike 'reporting: every 0 s, *'
        Get-Content -LiteralPath (Join-Path $root 'run/wsl/address') | Should -Be '172.29.7.9'
        Test-Path -LiteralPath (Join-Path $root 'run/wsl/address.tmp') | Should -BeFalse
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
        $FakeWindows.WslRunning = $false
        & $ScriptPath -Report -Root $root -IntervalSeconds 0 -Passes 1 | Out-Null
        Test-Path -LiteralPath (Join-Path $root 'run/wsl/address') | Should -BeFalse
        $FakeWindows.WslQueries | Should -Be 2
    }

    It '-Watch, as SYSTEM, follows the reported address to WSL2''s new one after a restart' {
        $root = Join-Path $TestDrive 'watch'
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'run/wsl') | Out-Null
        Set-Content -LiteralPath (Join-Path $root 'run/wsl/address') -Value '172.29.1.2'
        $out = & $ScriptPath -Watch -Root $root -IntervalSeconds 0 -Passes 1
        Set-Content -LiteralPath (Join-Path $root 'run/wsl/address') -Value '172.29.7.9'
        & $ScriptPath -Watch -Root $root -IntervalSeconds 0 -Passes 1 | Out-Null
        @($FakeWindows.Changes)[-2..-1] | Should -Be @(
            'Remove-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 NextHop=172.29.1.2',
            'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.7.9 PolicyStore=ActiveStore')
        @($out)[0] | Should -BeLike 'watching: every 0 s, the address WSL2 reports in *'
        $FakeWindows.WslQueries | Should -Be 0   # SYSTEM never asks WSL: it is the owner's
    }

    It '-Watch never starts WSL2: with nothing reported it asks nothing and changes nothing' {
        & $ScriptPath -Watch -Root (Join-Path $TestDrive 'nothing') -IntervalSeconds 0 -Passes 3 | Out-Null
        $FakeWindows.WslQueries | Should -Be 0
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It '-Watch refuses a reported address that is not WSL2''s (inside the mesh, or not an address) and carries on' {
        $root = Join-Path $TestDrive 'forged'
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'run/wsl') | Out-Null
        foreach ($forged in @('10.100.3.1', '10.101.7.1', '172.29.1.2; Remove-Item C:\')) {
            Set-Content -LiteralPath (Join-Path $root 'run/wsl/address') -Value $forged
            $out = & $ScriptPath -Watch -Root $root -IntervalSeconds 0 -Passes 1
            @($out | Where-Object { $_ -like '*error: *' }).Count | Should -Be 1
        }
        @($FakeWindows.Changes | Where-Object { $_ -like 'New-NetRoute*' }) | Should -BeNullOrEmpty
    }

    It '-Watch logs a failed pass and carries on' {
        $root = Join-Path $TestDrive 'failing'
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'run/wsl') | Out-Null
        Set-Content -LiteralPath (Join-Path $root 'run/wsl/address') -Value '172.29.1.2'
        [void]$FakeWindows.Interfaces.RemoveAll({ param($i) $i.InterfaceAlias -eq 'nebula1' })
        $out = & $ScriptPath -Watch -Root $root -IntervalSeconds 0 -Passes 2
        @($out | Where-Object { $_ -like "*error: No Nebula adapter 'nebula1'*" }).Count | Should -Be 2
    }

    # The usual office: a standard user owns WSL, an IT account deploys. Only wsl.exe runs as the owner, unelevated,
    # in the owner's session; the routes and the firewall are set by the administrator running the script.
    It 'with a standard user owning WSL asks only wsl.exe as that user, unelevated, and routes as the administrator' {
        $root = Join-Path $TestDrive 'office'
        New-Item -ItemType Directory -Force -Path $root | Out-Null
        $FakeWindows.WslOwner = 'office-user'
        $FakeWindows.LoggedOn = @('flatnet', 'office-user')
        $out = & $ScriptPath -WslUser 'office-user' -Root $root
        $out[-1] | Should -Be 'done: 7 change(s); WSL2 at 172.29.1.2'
        $registered = @($FakeWindows.Changes | Where-Object { $_ -like 'Register-ScheduledTask TaskName=flatnet as WSL owner *' })
        $registered.Count | Should -Be 1
        $registered[0] | Should -BeLike '* User=office-user LogonType=Interactive RunLevel=Limited *'
        # Staged under the install root, in a folder of its own with a fresh ACL, and gone after; never in ProgramData.
        @($FakeWindows.Changes | Where-Object { $_ -like "icacls.exe $root*run*owner-* /inheritance:r /grant:r ``*S-1-5-32-544:(OI)(CI)F ``*S-1-5-18:(OI)(CI)F office-user:(OI)(CI)M" }).Count | Should -Be 1
        @(Get-ChildItem -LiteralPath (Join-Path $root 'run') -Filter 'owner-*') | Should -BeNullOrEmpty
        @(Get-ChildItem -Recurse -LiteralPath $env:ProgramData -ErrorAction SilentlyContinue | Where-Object { $_.FullName -like '*flatnet*' }) | Should -BeNullOrEmpty
        $FakeWindows.Tasks.Keys | Should -BeNullOrEmpty   # stopped, then removed
        $name = [regex]::Match($registered[0], 'TaskName=(flatnet as WSL owner [0-9a-f]{32})').Groups[1].Value
        $stop = $FakeWindows.Changes.IndexOf("Stop-ScheduledTask TaskName=$name")
        $stop | Should -BeGreaterThan -1
        $stop | Should -BeLessThan $FakeWindows.Changes.IndexOf("Unregister-ScheduledTask TaskName=$name")
    }

    # A run killed while the owner's task ran leaves the task (maybe running: Unregister-ScheduledTask alone would
    # leave it so) and its folder; the next run as the owner stops and removes it, and the folder.
    It 'sweeps what a killed run as WSL''s owner left: the task stopped, then removed, and its folder' {
        $root = Join-Path $TestDrive 'swept'
        $stale = Join-Path $root 'run/owner-0123456789abcdef0123456789abcdef'
        New-Item -ItemType Directory -Force -Path $stale | Out-Null
        (Get-Item -LiteralPath $stale).CreationTime = (Get-Date).AddHours(-1)
        $FakeWindows.WslOwner = 'office-user'
        $FakeWindows.LoggedOn = @('flatnet', 'office-user')
        Register-ScheduledTask -TaskName 'flatnet as WSL owner 0123456789abcdef0123456789abcdef' -Action (New-ScheduledTaskAction -Execute 'powershell.exe' -Argument '-Watch') -Principal (New-ScheduledTaskPrincipal -UserId 'office-user' -LogonType Interactive -RunLevel Limited) | Out-Null
        $FakeWindows.Tasks['flatnet as WSL owner 0123456789abcdef0123456789abcdef'].State = 'Running'
        & $ScriptPath -WslUser 'office-user' -Root $root | Out-Null
        $FakeWindows.Changes | Should -Contain 'Stop-ScheduledTask TaskName=flatnet as WSL owner 0123456789abcdef0123456789abcdef'
        $FakeWindows.Tasks.Keys | Should -BeNullOrEmpty
        Test-Path -LiteralPath $stale | Should -BeFalse
    }

    # Nebula 1.11 puts WFP permit filters on its adapter and listen port (windows_bypass_wdf, on by default): Windows
    # Firewall rules no longer decide what reaches it, so none are made for it; 1.6 to 1.10 get them.
    It 'with Nebula 1.11 makes no Windows Firewall rule for Nebula''s traffic, which Nebula lets past the firewall itself' {
        $root = Join-Path $TestDrive 'nebula-1.11'
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'nebula') | Out-Null
        Copy-Item -Path (Join-Path $PSScriptRoot 'fake-nebula.exe') -Destination (Join-Path $root 'nebula/nebula.exe')
        $env:FAKE_NEBULA_VERSION = '1.11.0'
        try { $out = & $ScriptPath -Root $root } finally { Remove-Item Env:\FAKE_NEBULA_VERSION }
        @($FakeWindows.Changes | Where-Object { $_ -like 'New-NetFirewallRule*' }) | Should -BeNullOrEmpty
        $FakeWindows.Changes | Should -Contain 'New-NetFirewallHyperVRule Action=Allow Direction=Inbound DisplayName=flatnet: overlay to WSL2 Name=flatnet-overlay-to-wsl RemoteAddresses=10.100.0.0/16,10.101.0.0/16 VMCreatorId={40E0AC32-46A5-438A-A0B2-2B479E8F2E90}'
        $out[-1] | Should -Be 'done: 5 change(s); WSL2 at 172.29.1.2'
        $FakeWindows.Changes.Clear()
        & $ScriptPath -Root $root | Out-Null   # 1.9.3 again: its rules are made
        @($FakeWindows.Changes | Where-Object { $_ -like 'New-NetFirewallRule*' }).Count | Should -Be 2
    }

    It 'without an elevated token it says to run it as Administrator, before it asks or changes anything' {
        $FakeWindows.Elevated = $false
        { & $ScriptPath } | Should -Throw '*run it as Administrator*'
        $FakeWindows.WslQueries | Should -Be 0
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It 'stops with a clear error when WSL2 does not answer' {
        $FakeWindows.WslExit = 1
        $FakeWindows.WslOutput = $null
        { & $ScriptPath } | Should -Throw '*WSL2 did not answer*pass -WslIp*'
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It '-Remove takes out the route and flatnet''s firewall rules, keeps forwarding, and then has nothing to remove' {
        & $ScriptPath | Out-Null
        $FakeWindows.Changes.Clear()
        $out = & $ScriptPath -Remove
        @($FakeWindows.Changes) | Should -Be @(
            'Remove-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 NextHop=172.29.1.2',
            'Remove-NetFirewallRule DisplayName=flatnet: Nebula UDP 4242',
            'Remove-NetFirewallRule DisplayName=flatnet: ICMPv4 echo from the overlay',
            'Remove-NetFirewallHyperVRule Name=flatnet-overlay-to-wsl')
        $out[-1] | Should -Be 'kept: IPEnableRouter and adapter forwarding (other programs may rely on them)'
        $FakeWindows.Routes.Count | Should -Be 0
        $FakeWindows.FirewallRules.Count | Should -Be 0
        $FakeWindows.Registry.Count | Should -Be 1
        $FakeWindows.Changes.Clear()
        & $ScriptPath -Remove | Should -Be 'nothing to remove: routing for host-b is not in place'
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }
}
