# Pester tests for a rendered install.ps1 (host-b of the example inventory), run against the fake Windows.
# BundleDir: host-b's unpacked bundle (service: nebula); NssmBundleDir: the same with service: nssm.
param(
    [Parameter(Mandatory)][string]$BundleDir,
    [Parameter(Mandatory)][string]$NssmBundleDir
)

BeforeAll {
    . (Join-Path $PSScriptRoot 'FakeWindows.ps1')
    $env:USERNAME = 'kh'

    # A fresh copy of a bundle, a fresh install root with a fake nebula.exe that records its calls.
    function New-Site([string]$From) {
        $site = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $bundle = Join-Path $site 'bundle'
        Copy-Item -Recurse -Path $From -Destination $bundle
        $root = Join-Path $site 'flatnet'
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'nebula') | Out-Null
        $nebula = Join-Path $root 'nebula/nebula.exe'
        $calls = Join-Path $site 'nebula-calls'
        Set-Content -Path $nebula -Value "#!/bin/sh`necho `"nebula.exe `$*`" >> '$calls'`n[ `"`$1`" = -test ] && exit `${FAKE_NEBULA_TEST_EXIT:-0}`nexit 0"
        chmod +x $nebula
        $FakeWindows.NebulaServicePath = "`"$nebula`" -service run -config $root/config/nebula/config.yaml"
        [pscustomobject]@{ Bundle = $bundle; Root = $root; Nebula = $nebula; Calls = $calls }
    }

    function Invoke-Install($Site) { & (Join-Path $Site.Bundle 'install.ps1') -Root $Site.Root }

    function NebulaCalls($Site) { if (Test-Path $Site.Calls) { @(Get-Content $Site.Calls) } else { @() } }

    # Changes one bundle file and, unless -Damage, its manifest entry, as a newer flatnet bundle would.
    function Set-BundleFile($Site, [string]$Name, [string]$Text, [switch]$Damage) {
        $path = Join-Path $Site.Bundle $Name
        Set-Content -NoNewline -Path $path -Value $Text
        if ($Damage) { return }
        $manifestPath = Join-Path $Site.Bundle 'manifest.json'
        $manifest = Get-Content -Raw $manifestPath | ConvertFrom-Json
        ($manifest.files | Where-Object { $_.path -eq $Name }).sha256 = (Get-FileHash -Algorithm SHA256 $path).Hash.ToLowerInvariant()
        $manifest | ConvertTo-Json -Depth 5 | Set-Content -Path $manifestPath
    }
}

AfterAll { Remove-FakeWindows }

Describe 'install.ps1' {
    BeforeEach {
        Reset-FakeWindows
        $env:FAKE_NEBULA_TEST_EXIT = '0'
    }

    It 'on a fresh host places the files, registers and starts the service, routes, and schedules routing at logon' {
        $site = New-Site $BundleDir
        $out = Invoke-Install $site

        foreach ($f in 'config.yaml', 'ca.crt', 'host.crt', 'host.key') {
            (Get-FileHash (Join-Path $site.Root "config/nebula/$f")).Hash | Should -Be (Get-FileHash (Join-Path $site.Bundle $f)).Hash
        }
        Test-Path (Join-Path $site.Root 'scripts/setup-routing.ps1') | Should -BeTrue
        Test-Path (Join-Path $site.Root 'scripts/wsl-routing.sh') | Should -BeTrue
        Test-Path (Join-Path $site.Root 'logs') | Should -BeTrue
        NebulaCalls $site | Should -Be @(
            "nebula.exe -test -config $($site.Root)/config/nebula/config.yaml",
            "nebula.exe -service install -config $($site.Root)/config/nebula/config.yaml")
        $changes = @($FakeWindows.Changes)
        $changes[0] | Should -BeLike 'icacls.exe */config/nebula/host.key /inheritance:r /grant:r Administrators:F SYSTEM:F'
        $changes[1] | Should -BeLike 'icacls.exe */config/nebula/admin_host_ed25519 /inheritance:r /grant:r Administrators:F SYSTEM:F'
        $changes[2..3] | Should -Be @('sc.exe failure nebula reset= 86400 actions= restart/5000/restart/5000/restart/5000', 'Start-Service Name=nebula')
        # Nebula's admin interface got a host key made on this host, with an empty passphrase, by Windows' ssh-keygen.exe.
        $adminKey = Join-Path $site.Root 'config/nebula/admin_host_ed25519'
        Get-Content -Raw $adminKey | Should -BeLike '*BEGIN OPENSSH PRIVATE KEY*'
        Test-Path "$adminKey.pub" | Should -BeFalse
        Get-Content (Join-Path $env:WINDIR 'keygen-calls') | Select-Object -Last 1 | Should -BeLike '*-q -t ed25519 -N  -C nebula-admin -f */config/nebula.new/admin_host_ed25519'
        (Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml')) | Should -BeLike "*host_key: `"*admin_host_ed25519`"*"
        $changes | Should -Contain 'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.1.2 PolicyStore=ActiveStore'
        $changes[-1] | Should -Be "Register-ScheduledTask TaskName=flatnet routing Execute=powershell.exe Argument=-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$($site.Root)/scripts/setup-routing.ps1`" -Watch AtLogOn=True User=kh LogonType=Interactive RunLevel=Highest ExecutionTimeLimit=00:00:00 RestartCount=3"
        $out | Should -Contain 'started: service nebula (nebula)'
    }

    It 'changes nothing when run again with the same bundle' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $FakeWindows.Changes.Clear()
        Remove-Item $site.Calls
        $adminKey = (Get-FileHash (Join-Path $site.Root 'config/nebula/admin_host_ed25519')).Hash
        $out = Invoke-Install $site
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
        (Get-FileHash (Join-Path $site.Root 'config/nebula/admin_host_ed25519')).Hash | Should -Be $adminKey
        NebulaCalls $site | Should -BeNullOrEmpty
        $out | Should -Contain 'unchanged: host-b already has this bundle'
        $out | Should -Contain 'unchanged: routing for host-b was already in place (WSL2 at 172.29.1.2)'
    }

    It 'swaps in a changed config and restarts the service' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $FakeWindows.Changes.Clear()
        $newConfig = (Get-Content -Raw (Join-Path $site.Bundle 'config.yaml')) + "# changed`n"
        Set-BundleFile $site 'config.yaml' $newConfig
        $out = Invoke-Install $site
        Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml') | Should -Be $newConfig
        $FakeWindows.Changes | Should -Contain 'Restart-Service Name=nebula'
        $FakeWindows.Changes | Should -Not -Contain 'Start-Service Name=nebula'
        $out | Should -Contain 'restarted: service nebula'
        Test-Path (Join-Path $site.Root 'config/nebula.old') | Should -BeFalse
    }

    It 'puts the previous config back when nebula -test refuses the new one' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $before = Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml')
        $FakeWindows.Changes.Clear()
        Set-BundleFile $site 'config.yaml' "broken: [`n"
        $env:FAKE_NEBULA_TEST_EXIT = '1'
        { Invoke-Install $site } | Should -Throw '*nebula.exe -test refused the new config; the previous one is back in place*'
        Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml') | Should -Be $before
        Test-Path (Join-Path $site.Root 'config/nebula.new') | Should -BeFalse
        @($FakeWindows.Changes | Where-Object { $_ -like '*Service*' }) | Should -BeNullOrEmpty
    }

    It 'refuses a damaged bundle and touches nothing' {
        $site = New-Site $BundleDir
        Set-BundleFile $site 'config.yaml' 'tampered' -Damage
        { Invoke-Install $site } | Should -Throw '*bundle is damaged: config.yaml does not match manifest.json*'
        Test-Path (Join-Path $site.Root 'config') | Should -BeFalse
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It 'never takes over another program''s service named nebula' {
        $site = New-Site $BundleDir
        $FakeWindows.Services['nebula'] = @{ Status = 'Running'; PathName = 'C:\Program Files\Logitech\Video\nebula.exe' }
        { Invoke-Install $site } | Should -Throw "*a service named 'nebula' already exists and runs 'C:\Program Files\Logitech\Video\nebula.exe'*"
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It 'with service: nssm logs to logs\nebula.log as the spec asks' {
        $site = New-Site $NssmBundleDir
        Invoke-Install $site | Out-Null
        $log = "$($site.Root)/logs/nebula.log"
        @($FakeWindows.Changes)[2..5] | Should -Be @(
            "nssm.exe install nebula $($site.Nebula) -config $($site.Root)/config/nebula/config.yaml",
            "nssm.exe set nebula AppStdout $log",
            "nssm.exe set nebula AppStderr $log",
            'sc.exe failure nebula reset= 86400 actions= restart/5000/restart/5000/restart/5000')
        NebulaCalls $site | Should -Be @("nebula.exe -test -config $($site.Root)/config/nebula/config.yaml")
    }

    It 'says where to get nebula.exe when it is missing' {
        $site = New-Site $BundleDir
        Remove-Item $site.Nebula
        { Invoke-Install $site } | Should -Throw '*nebula.exe is missing. Copy nebula.exe and nebula-cert.exe there*nebula.windows.binaries*'
    }
}
