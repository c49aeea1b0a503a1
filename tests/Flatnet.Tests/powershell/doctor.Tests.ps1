# Pester tests for a rendered flatnet-doctor.ps1 (host-b of the example inventory), run against the fake Windows.
param([Parameter(Mandatory)][string]$ScriptPath)

BeforeAll {
    . (Join-Path $PSScriptRoot '../../../src/Flatnet.Lab/windows/FakeWindows.ps1')
    $env:USERNAME = 'flatnet'

    # A host as install.ps1 and setup-routing.ps1 leave it: Nebula running with wintun, forwarding on, the
    # block routed to WSL2's current address, the firewall rules in place.
    function New-HealthyHost {
        Reset-FakeWindows
        $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $wintun = Join-Path $root 'nebula/dist/windows/wintun/bin/amd64/wintun.dll'
        New-Item -ItemType Directory -Force -Path (Split-Path -Parent $wintun), (Join-Path $root 'logs') | Out-Null
        Copy-Item -Path (Join-Path $PSScriptRoot 'fake-nebula.exe') -Destination (Join-Path $root 'nebula/nebula.exe')
        Set-Content -Path $wintun -Value 'wintun'
        # The mesh's names, as install.ps1 leaves them: names.hosts beside the doctor, its block in the hosts file.
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'scripts') | Out-Null
        Copy-Item -Path (Join-Path (Split-Path -Parent $ScriptPath) 'names.hosts') -Destination (Join-Path $root 'scripts/names.hosts')
        Add-Content -NoNewline -Path (Get-FakeHostsFile) -Value ((Get-Content -Raw (Join-Path $root 'scripts/names.hosts')) -replace "`n", "`r`n")
        $FakeWindows.Services['nebula'] = @{ Status = 'Running'; PathName = "$root/nebula/nebula.exe" }
        $FakeWindows.FirewallRules.Add('flatnet: Nebula UDP 4242')
        $FakeWindows.HyperVRules.Add('flatnet-overlay-to-wsl')
        foreach ($i in $FakeWindows.Interfaces) { $i.Forwarding = 'Enabled' }
        $FakeWindows.Registry['HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\IPEnableRouter'] = 1
        $FakeWindows.Routes.Add([pscustomobject]@{ DestinationPrefix = '10.101.2.0/24'; NextHop = '172.29.1.2'; ifIndex = 17 })
        $root
    }

    function Invoke-Doctor([string]$Root, [switch]$Machine) { & $ScriptPath -Root $Root -Machine:$Machine }
}

AfterAll { Remove-FakeWindows }

Describe 'flatnet-doctor.ps1' {
    It 'says ok to every check on a host where everything is in place, and keeps the findings in logs\doctor.json' {
        $root = New-HealthyHost
        $out = Invoke-Doctor $root
        $LASTEXITCODE | Should -Be 0
        $checks = @($out | Where-Object { $_ -match '^(ok|warn|FAIL) ' })
        @($checks | Where-Object { $_ -notmatch '^ok ' }) | Should -BeNullOrEmpty
        ($checks | ForEach-Object { ($_ -split '\s+')[1].TrimEnd(':') }) | Should -Be @(
            'windows', 'admin', 'nebula-service', 'nebula-version', 'wintun', 'adapter', 'firewall', 'lighthouse', 'names',
            'wsl-version', 'wsl-owner', 'wsl-networking', 'wsl-adapter', 'forwarding', 'ip-enable-router', 'route',
            'hyperv-firewall', 'source-nat', 'wsl-ping', 'wsl-mtu')
        (Get-Content -Raw (Join-Path $root 'logs/doctor.json') | ConvertFrom-Json).Count | Should -Be 20
        @($FakeWindows.Changes) | Should -BeNullOrEmpty   # it only reads
    }

    It 'passes with a peer switched off while another answers, and fails only when none does' {
        $root = New-HealthyHost
        $FakeWindows.Silent = @('10.100.1.1')   # host-a, switched off
        $out = Invoke-Doctor $root -Machine
        $LASTEXITCODE | Should -Be 0
        @($out | Where-Object { $_ -like "ok`twsl-ping`tWSL2 reaches 10.100.3.1 from its stable address 10.101.2.1*" }).Count | Should -Be 1
        $FakeWindows.Silent = @('10.100.1.1', '10.100.3.1', '10.100.0.1')
        $out = Invoke-Doctor $root -Machine
        $LASTEXITCODE | Should -Be 1
        @($out | Where-Object { $_ -like "FAIL`twsl-ping`tWSL2 reaches none of the 2 peer(s)*" }).Count | Should -Be 1
        @($out | Where-Object { $_ -like "FAIL`tlighthouse`tno lighthouse answers*" }).Count | Should -Be 1
        # With no path at all, lowering the MTU would fix nothing: it is not measured, and not blamed.
        @($out | Where-Object { $_ -like "warn`twsl-mtu`tnot measured: no peer answers a plain ping*" }).Count | Should -Be 1
        @($out | Where-Object { $_ -like "*lower tuning.mtu*" }).Count | Should -Be 0
    }

    It 'names each problem with its fix, in machine form too, and exits 1' {
        $root = New-HealthyHost
        Remove-Item -Recurse (Join-Path $root 'nebula/dist')
        $FakeWindows.Services['nebula'].Status = 'Stopped'
        ($FakeWindows.Interfaces | Where-Object { $_.InterfaceAlias -like 'vEthernet*' }).Forwarding = 'Disabled'
        $FakeWindows.Routes[0].NextHop = '172.29.1.9'          # WSL2 restarted with a new address
        $FakeWindows.Distros = @()
        $FakeWindows.Elevated = $false
        $FakeWindows.Nats += [pscustomobject]@{ Name = 'old-docker-nat'; InternalIPInterfaceAddressPrefix = '10.101.0.0/16' }
        $out = Invoke-Doctor $root -Machine
        $LASTEXITCODE | Should -Be 1
        $failed = @($out | Where-Object { $_ -like "FAIL`t*" } | ForEach-Object { ($_ -split "`t")[1] })
        $failed | Should -Be @('admin', 'nebula-service', 'wintun', 'wsl-owner', 'forwarding', 'route', 'source-nat')
        $out | Should -Contain "FAIL`tsource-nat`tNAT old-docker-nat (10.101.0.0/16) rewrites 10.101.2.1 to this host's address; peers then drop or misroute WSL2's traffic`tRemove-NetNat -Name old-docker-nat, or give it a prefix outside 10.101.2.0/24"
        $out | Should -Contain "FAIL`troute`t10.101.2.0/24 goes to 172.29.1.9, but WSL2 is at 172.29.1.2 now`trun scripts\setup-routing.ps1; are the flatnet routing and flatnet WSL address tasks running? (Get-ScheduledTask 'flatnet*')"
        @($out | Where-Object { $_ -like "FAIL`twintun`t*missing: Nebula 1.10+ does not start*" }).Count | Should -Be 1
    }

    It 'fails a Store WSL before 2.0 by its number, which an SSH session cannot start, though it answers --version' {
        $root = New-HealthyHost
        $FakeWindows.WslVersion = '1.2.5.0'
        $out = Invoke-Doctor $root -Machine
        $out | Should -Contain "FAIL`twsl-version`tWSL 1.2.5 is installed; an SSH session needs WSL 2.0 or later: run wsl.exe --update`twsl.exe --update (WSL from the Microsoft Store)"
    }

    It 'with Nebula 1.11 needs no Windows Firewall rule: Nebula lets its own traffic past it' {
        $root = New-HealthyHost
        $FakeWindows.FirewallRules.Clear()
        $env:FAKE_NEBULA_VERSION = '1.11.0'
        try { $out = Invoke-Doctor $root -Machine } finally { Remove-Item Env:\FAKE_NEBULA_VERSION }
        $out | Should -Contain "ok`tfirewall`tNebula 1.11 or later lets its own traffic past Windows Defender Firewall (windows_bypass_wdf)`t"
    }
}
