# Pester tests for a rendered setup-routing.ps1 (host-b of the example inventory: block 10.101.2.0/24).
param([Parameter(Mandatory)][string]$ScriptPath)

BeforeAll {
    . (Join-Path $PSScriptRoot 'FakeWindows.ps1')
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

    It '-Watch follows WSL2 to its new address after a restart' {
        $FakeWindows.WslNext.Enqueue('172.29.1.2')
        $FakeWindows.WslNext.Enqueue('172.29.7.9')
        $out = & $ScriptPath -Watch -IntervalSeconds 0 -Passes 2
        @($FakeWindows.Changes)[-2..-1] | Should -Be @(
            'Remove-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 NextHop=172.29.1.2',
            'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.7.9 PolicyStore=ActiveStore')
        $out[0] | Should -Be 'watching: every 0 s while WSL2 runs'
        @($out | Where-Object { $_ -match '^\d{4}-\d\d-\d\dT[\d:]+ set: route 10\.101\.2\.0/24 via 172\.29\.7\.9$' }).Count | Should -Be 1
    }

    It '-Watch never starts WSL2: while no distribution runs it asks nothing and changes nothing' {
        $FakeWindows.WslRunning = $false
        & $ScriptPath -Watch -IntervalSeconds 0 -Passes 3 | Out-Null
        $FakeWindows.WslQueries | Should -Be 0
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It '-Watch logs a failed pass and carries on' {
        [void]$FakeWindows.Interfaces.RemoveAll({ param($i) $i.InterfaceAlias -eq 'nebula1' })
        $out = & $ScriptPath -Watch -IntervalSeconds 0 -Passes 2
        @($out | Where-Object { $_ -like "*error: No Nebula adapter 'nebula1'*" }).Count | Should -Be 2
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
