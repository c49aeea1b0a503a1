# Pester tests for a rendered uninstall.ps1 (host-b of the example inventory), run against the fake Windows.
# ScriptsDir: host-b's rendered scripts/ (uninstall.ps1 calls setup-routing.ps1 -Remove beside it).
param([Parameter(Mandatory)][string]$ScriptsDir)

BeforeAll {
    . (Join-Path $PSScriptRoot '../../../src/Flatnet.Lab/windows/FakeWindows.ps1')
    $env:USERNAME = 'flatnet'   # the example inventory's deploy.user, so WSL is this account's

    # A host as install.ps1 and setup-routing.ps1 leave it: flatnet's Nebula service running, the watcher task
    # registered, the route and firewall rules in place, the config and keys under Root\config\nebula.
    function New-InstalledHost {
        $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        foreach ($dir in @('nebula', 'config/nebula', 'scripts', 'logs')) { New-Item -ItemType Directory -Force -Path (Join-Path $root $dir) | Out-Null }
        Copy-Item -Path (Join-Path $ScriptsDir '*') -Destination (Join-Path $root 'scripts')
        $nebula = Join-Path $root 'nebula/nebula.exe'
        Copy-Item -Path (Join-Path $PSScriptRoot 'fake-nebula.exe') -Destination $nebula
        foreach ($name in @('config.yaml', 'ca.crt', 'host.crt', 'host.key')) { Set-Content -Path (Join-Path $root "config/nebula/$name") -Value $name }
        Set-Content -Path (Join-Path $root 'installed-manifest.json') -Value '{}'
        $env:FAKE_NEBULA_CALLS = Join-Path $root 'nebula-calls'
        $env:FAKE_SERVICE_REGISTRY = Join-Path $root 'services'
        Set-Content -Path $env:FAKE_SERVICE_REGISTRY -Value 'nebula'
        $FakeWindows.ServiceRegistry = $env:FAKE_SERVICE_REGISTRY
        $FakeWindows.NebulaServicePath = "`"$nebula`" -service run -config $root/config/nebula/config.yaml"
        Sync-FakeServices
        $FakeWindows.Services['nebula'].Status = 'Running'
        & (Join-Path $root 'scripts/setup-routing.ps1') | Out-Null
        $FakeWindows.Tasks['flatnet routing'] = [pscustomobject]@{ TaskName = 'flatnet routing'; State = 'Running' }
        $FakeWindows.Tasks['flatnet direct paths'] = [pscustomobject]@{ TaskName = 'flatnet direct paths'; State = 'Running' }
        $FakeWindows.Changes.Clear()
        [pscustomobject]@{ Root = $root; Script = Join-Path $root 'scripts/uninstall.ps1'; Calls = $env:FAKE_NEBULA_CALLS }
    }
}

AfterAll { Remove-FakeWindows }

Describe 'uninstall.ps1' {
    BeforeEach { Reset-FakeWindows }

    It 'takes off the watchers, the routing, the service and the keys, in that order' {
        $site = New-InstalledHost
        $out = & $site.Script -Root $site.Root
        # A running watcher is stopped before it is unregistered: unregistering alone leaves it running.
        @($FakeWindows.Changes) | Should -Be @(
            'Stop-ScheduledTask TaskName=flatnet routing',
            'Unregister-ScheduledTask TaskName=flatnet routing',
            'Stop-ScheduledTask TaskName=flatnet direct paths',
            'Unregister-ScheduledTask TaskName=flatnet direct paths',
            'Remove-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 NextHop=172.29.1.2',
            'Remove-NetFirewallRule DisplayName=flatnet: Nebula UDP 4242',
            'Remove-NetFirewallRule DisplayName=flatnet: ICMPv4 echo from the overlay',
            'Remove-NetFirewallHyperVRule Name=flatnet-overlay-to-wsl',
            'Stop-Service Name=nebula')
        Get-Content $site.Calls | Should -Contain 'nebula.exe -service uninstall'
        Get-Service -Name nebula -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $site.Root 'config/nebula') | Should -BeFalse
        Test-Path (Join-Path $site.Root 'installed-manifest.json') | Should -BeFalse
        Test-Path (Join-Path $site.Root 'nebula/nebula.exe') | Should -BeTrue
        $out | Should -Contain 'removed: the nebula service'
        $out | Should -Contain "removed: scheduled task 'flatnet routing'"
        $out | Should -Contain "removed: scheduled task 'flatnet direct paths'"
    }

    It 'removes an upload an install never got to (it may hold host.key)' {
        $site = New-InstalledHost
        New-Item -ItemType Directory -Force -Path (Join-Path $site.Root 'incoming/bundle') | Out-Null
        Set-Content -Path (Join-Path $site.Root 'incoming/bundle/host.key') -Value 'key'
        $out = & $site.Script -Root $site.Root
        Test-Path (Join-Path $site.Root 'incoming') | Should -BeFalse
        $out | Should -Contain "removed: $(Join-Path $site.Root 'incoming') (an upload that was never installed)"
    }

    It 'judges the service by Get-Service, not by the exit code nebula.exe gives before 1.11' {
        $site = New-InstalledHost
        $env:FAKE_NEBULA_INSTALL_EXIT = '1'
        { & $site.Script -Root $site.Root } | Should -Not -Throw
        Remove-Item Env:\FAKE_NEBULA_INSTALL_EXIT
    }

    It 'takes flatnet''s names out of Windows'' hosts file and leaves every line of the user''s' {
        $site = New-InstalledHost
        $hosts = Get-FakeHostsFile
        $mine = "127.0.0.1 localhost`r`n192.0.2.80 printer`r`n"
        [IO.File]::WriteAllText($hosts, $mine + "# BEGIN flatnet names (flatnet writes these lines for host-b)`r`n10.100.1.1 host-a`r`n# END flatnet names`r`n192.0.2.81 nas`r`n")
        $out = & $site.Script -Root $site.Root
        $out | Should -Contain "removed: names from $hosts"
        [IO.File]::ReadAllText($hosts) | Should -Be ($mine + "192.0.2.81 nas`r`n")
    }

    It 'has nothing to remove the second time' {
        $site = New-InstalledHost
        & $site.Script -Root $site.Root | Out-Null
        $FakeWindows.Changes.Clear()
        & $site.Script -Root $site.Root | Should -Be 'nothing to remove: flatnet''s Nebula is not installed on host-b'
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It 'leaves another program''s service called nebula alone' {
        $site = New-InstalledHost
        $FakeWindows.Services['nebula'] = @{ Status = 'Running'; PathName = 'C:\Program Files\Camera\nebula.exe' }
        { & $site.Script -Root $site.Root } | Should -Throw "*runs 'C:\Program Files\Camera\nebula.exe', not flatnet's Nebula; it is left alone*"
        $FakeWindows.Services['nebula'].Status | Should -Be 'Running'
        Test-Path (Join-Path $site.Root 'config/nebula/host.key') | Should -BeTrue
    }
}
