# Pester tests for a rendered install.ps1 (host-b of the example inventory), run against the fake Windows.
# BundleDir: host-b's unpacked bundle (service: nebula); NssmBundleDir: the same with service: nssm;
# ReleaseBundleDir: the same built with nebula.windows.release (it carries nebula.exe, nebula-cert.exe, wintun.dll);
# OwnerBundleDir: the same with wsl_user: kh, WSL being another account's than the one flatnet logs in as (flatnet).
param(
    [Parameter(Mandatory)][string]$BundleDir,
    [Parameter(Mandatory)][string]$NssmBundleDir,
    [Parameter(Mandatory)][string]$ReleaseBundleDir,
    [Parameter(Mandatory)][string]$OwnerBundleDir
)

BeforeAll {
    . (Join-Path $PSScriptRoot '../../../src/Flatnet.Lab/windows/FakeWindows.ps1')
    $env:USERNAME = 'flatnet'   # the example inventory's deploy.user, so WSL is this account's

    # A fresh copy of a bundle and a fresh install root. Unless -Bare, Nebula's binaries were put there by hand
    # (nebula.exe, the fake that records its calls, and wintun.dll); -Incoming uploads the bundle where DeployHost does.
    # -NoRoot: the install root not there at all (-Bare too), as on a PC flatnet has never reached.
    function New-Site([string]$From, [switch]$Bare, [switch]$Incoming, [switch]$NoRoot) {
        $site = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $root = Join-Path $site 'flatnet'
        $bundle = if ($Incoming) { Join-Path $root 'incoming/bundle' } else { Join-Path $site 'bundle' }
        New-Item -ItemType Directory -Force -Path (Split-Path -Parent $bundle) | Out-Null
        Copy-Item -Recurse -Path $From -Destination $bundle
        if (-not $NoRoot) { New-Item -ItemType Directory -Force -Path (Join-Path $root 'nebula') | Out-Null }
        $nebula = Join-Path $root 'nebula/nebula.exe'
        if (-not $Bare -and -not $NoRoot) {
            Copy-Item -Path (Join-Path $PSScriptRoot 'fake-nebula.exe') -Destination $nebula
            $wintun = Join-Path $root 'nebula/dist/windows/wintun/bin/amd64/wintun.dll'
            New-Item -ItemType Directory -Force -Path (Split-Path -Parent $wintun) | Out-Null
            Set-Content -Path $wintun -Value 'wintun'
        }
        $calls = Join-Path $site 'nebula-calls'
        $env:FAKE_NEBULA_CALLS = $calls
        $env:FAKE_SERVICE_REGISTRY = Join-Path $site 'services'
        $FakeWindows.ServiceRegistry = $env:FAKE_SERVICE_REGISTRY
        $FakeWindows.NebulaExe = $nebula
        $FakeWindows.NebulaServicePath = "`"$nebula`" -service run -config $root/config/nebula/config.yaml"
        [pscustomobject]@{ Bundle = $bundle; Root = $root; Nebula = $nebula; Calls = $calls }
    }

    function Invoke-Install($Site) { & (Join-Path $Site.Bundle 'install.ps1') -Root $Site.Root }

    # What nebula.exe was asked to do; asking its version (setup-routing.ps1 does) changes nothing.
    function NebulaCalls($Site) { if (Test-Path $Site.Calls) { @(Get-Content $Site.Calls | Where-Object { $_ -ne 'nebula.exe -version' }) } else { @() } }

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
        Remove-Item Env:\FAKE_NEBULA_INSTALL_EXIT, Env:\FAKE_NEBULA_INSTALL_NOOP -ErrorAction SilentlyContinue
    }

    It 'on a fresh host places the files, registers and starts the service (nebula.exe -service install exits 1 before 1.11), routes, and runs the routing watcher' {
        $site = New-Site $BundleDir
        $out = Invoke-Install $site

        foreach ($f in 'ca.crt', 'host.crt', 'host.key') {
            (Get-FileHash (Join-Path $site.Root "config/nebula/$f")).Hash | Should -Be (Get-FileHash (Join-Path $site.Bundle $f)).Hash
        }
        # The config is the bundle's, with one line more said: the public half of the watcher's key, made here.
        $watcherKey = Join-Path $site.Root 'config/nebula/watcher_ed25519'
        $watcherPublic = (ssh-keygen -y -f $watcherKey) -replace ' [^ ]*$', ''
        $installed = Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml')
        $installed | Should -Be ((Get-Content -Raw (Join-Path $site.Bundle 'config.yaml')).Replace(
            "keys: []  # flatnet-watcher key: written here at install, made on this host", "keys: [`"$watcherPublic`"]  # flatnet-watcher key: written here at install, made on this host"))
        $installed | Should -Match '    - user: "flatnet-watcher"\n      keys: \["ssh-ed25519 [A-Za-z0-9+/=]+"\]  # '
        # The watcher pins the admin interface's own host key.
        Get-Content (Join-Path $site.Root 'config/nebula/watcher_known_hosts') | Should -Be "[127.0.0.1]:2222 $((ssh-keygen -y -f (Join-Path $site.Root 'config/nebula/admin_host_ed25519')) -replace ' [^ ]*$', '')"
        Test-Path (Join-Path $site.Root 'scripts/setup-routing.ps1') | Should -BeTrue
        Test-Path (Join-Path $site.Root 'scripts/wsl-routing.sh') | Should -BeTrue
        Test-Path (Join-Path $site.Root 'logs') | Should -BeTrue
        NebulaCalls $site | Should -Be @(
            "nebula.exe -test -config $($site.Root)/config/nebula/config.yaml",
            "nebula.exe -service install -config $($site.Root)/config/nebula/config.yaml")
        $changes = @($FakeWindows.Changes)
        # By SID, which every language of Windows knows (a Japanese Windows has no group called "Administrators").
        $icacls = @($changes | Where-Object { $_ -like 'icacls.exe *' })
        $icacls[0] | Should -BeLike 'icacls.exe */flatnet /setowner `*S-1-5-32-544 /C /Q'
        $icacls[1] | Should -BeLike 'icacls.exe */flatnet /inheritance:r /grant:r `*S-1-5-32-544:(OI)(CI)F `*S-1-5-18:(OI)(CI)F `*S-1-5-32-545:(OI)(CI)RX'
        # config\ (keys) and run\ (what runs elevated): Administrators and SYSTEM only, from their creation: made with
        # their ACL in the call that creates them, never a moment with the root's (users read).
        foreach ($dir in 'config', 'run') {
            $changes | Should -Contain "DirectoryInfo.Create $($site.Root)/$dir O:BAD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"
            (Get-FakeAcl (Join-Path $site.Root $dir)).Aces.Keys | Should -Be @('S-1-5-32-544', 'S-1-5-18')
        }
        $key = [array]::IndexOf($icacls, "icacls.exe $($site.Root)/config/nebula/host.key /inheritance:r /grant:r *S-1-5-32-544:F *S-1-5-18:F")
        $key | Should -BeGreaterThan 1
        $icacls[$key + 1] | Should -BeLike 'icacls.exe */config/nebula/admin_host_ed25519 /inheritance:r /grant:r `*S-1-5-32-544:F `*S-1-5-18:F'
        # The watcher's key is owned by Administrators (SYSTEM's ssh.exe refuses a key another account owns), theirs and SYSTEM's only.
        $icacls[$key + 2] | Should -BeLike 'icacls.exe */config/nebula/watcher_ed25519 /setowner `*S-1-5-32-544 /C /Q'
        $icacls[$key + 3] | Should -BeLike 'icacls.exe */config/nebula/watcher_ed25519 /inheritance:r /grant:r `*S-1-5-32-544:F `*S-1-5-18:F'
        (Get-FakeAcl $watcherKey).Owner | Should -Be 'S-1-5-32-544'
        (Get-FakeAcl (Join-Path $site.Root 'config/nebula/host.key')).Aces.Keys | Should -Not -Contain 'S-1-5-32-545'
        $changes = @($changes | Where-Object { $_ -notlike 'icacls.exe *' -and $_ -notlike 'DirectoryInfo.Create *' })
        $changes[0..2] | Should -Be @('sc.exe failure nebula reset= 86400 actions= restart/5000/restart/5000/restart/5000', 'sc.exe failureflag nebula 1', 'Start-Service Name=nebula')
        # Nebula's admin interface got a host key made on this host, with an empty passphrase, by Windows' ssh-keygen.exe.
        $adminKey = Join-Path $site.Root 'config/nebula/admin_host_ed25519'
        Get-Content -Raw $adminKey | Should -BeLike '*BEGIN OPENSSH PRIVATE KEY*'
        Test-Path "$adminKey.pub" | Should -BeFalse
        # Both keys made on this host, with an empty passphrase, by Windows' ssh-keygen.exe; their public halves read back.
        $made = @(Get-Content (Join-Path $env:WINDIR 'keygen-calls') | Where-Object { $_ -like '*-q -t ed25519*' })
        $made[-2] | Should -BeLike '*-q -t ed25519 -N  -C nebula-admin -f */config/nebula.new/admin_host_ed25519'
        $made[-1] | Should -BeLike '*-q -t ed25519 -N  -C flatnet-watcher -f */config/nebula.new/watcher_ed25519'
        (Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml')) | Should -BeLike "*host_key: `"*admin_host_ed25519`"*"
        $changes | Should -Contain 'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.1.2 PolicyStore=ActiveStore'
        # The direct-paths watcher: SYSTEM's, from startup, for ever, on battery too, and running now.
        $changes | Should -Contain "Register-ScheduledTask TaskName=flatnet direct paths Execute=powershell.exe Argument=-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$($site.Root)/scripts/direct-paths.ps1`" -Watch AtLogOn=False AtStartup=True User=SYSTEM LogonType=ServiceAccount RunLevel=Highest ExecutionTimeLimit=00:00:00 RestartCount=3 OnBattery=True/True"
        $changes | Should -Contain 'Start-ScheduledTask TaskName=flatnet direct paths'
        $out | Should -Contain "registered: scheduled task 'flatnet direct paths' (relayed tunnels tried direct every 30 s, as SYSTEM; running now and from then on)"
        # On battery too, and running now: Task Scheduler's defaults would do neither. WSL's owner reports WSL2's
        # address with its own token; SYSTEM sets the route from it.
        $changes[-4] | Should -Be "Register-ScheduledTask TaskName=flatnet WSL address Execute=powershell.exe Argument=-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$($site.Root)/scripts/setup-routing.ps1`" -Report -WslUser `"flatnet`" AtLogOn=True AtStartup=False User=flatnet LogonType=Interactive RunLevel=Limited ExecutionTimeLimit=00:00:00 RestartCount=3 OnBattery=True/True"
        $changes[-3] | Should -Be 'Start-ScheduledTask TaskName=flatnet WSL address'
        $changes[-2] | Should -Be "Register-ScheduledTask TaskName=flatnet routing Execute=powershell.exe Argument=-NoProfile -NonInteractive -WindowStyle Hidden -ExecutionPolicy Bypass -File `"$($site.Root)/scripts/setup-routing.ps1`" -Watch -WslUser `"flatnet`" AtLogOn=False AtStartup=True User=SYSTEM LogonType=ServiceAccount RunLevel=Highest ExecutionTimeLimit=00:00:00 RestartCount=3 OnBattery=True/True"
        $changes[-1] | Should -Be 'Start-ScheduledTask TaskName=flatnet routing'
        $out | Should -Contain 'started: service nebula (nebula)'
        Test-Path (Join-Path $site.Root 'installed-manifest.pending.json') | Should -BeTrue
        Test-Path (Join-Path $site.Root 'config/nebula.old') | Should -BeFalse
    }

    It 'ships Nebula''s release: a fresh host gets nebula.exe and wintun.dll, and a new nebula.exe replaces the running one with the service stopped' {
        $site = New-Site $ReleaseBundleDir -Bare
        $out = Invoke-Install $site
        foreach ($f in 'nebula.exe', 'nebula-cert.exe', 'dist/windows/wintun/bin/amd64/wintun.dll') {
            (Get-FileHash (Join-Path $site.Root "nebula/$f")).Hash | Should -Be (Get-FileHash (Join-Path $site.Bundle "nebula/$f")).Hash
        }
        $out | Should -Contain "installed: Nebula's binaries (3 file(s)) in $(Join-Path $site.Root 'nebula')"
        $FakeWindows.Services['nebula'].Status | Should -Be 'Running'

        # A newer release: Windows would refuse to overwrite the running nebula.exe (the fake refuses too).
        $FakeWindows.Changes.Clear()
        Set-BundleFile $site 'nebula/nebula.exe' ((Get-Content -Raw (Join-Path $site.Bundle 'nebula/nebula.exe')) + "# 1.11.0`n")
        $out = Invoke-Install $site
        $FakeWindows.Changes | Should -Contain 'Stop-Service Name=nebula'
        $FakeWindows.Changes.IndexOf('Stop-Service Name=nebula') | Should -BeLessThan $FakeWindows.Changes.IndexOf('Restart-Service Name=nebula')
        (Get-FileHash (Join-Path $site.Root 'nebula/nebula.exe')).Hash | Should -Be (Get-FileHash (Join-Path $site.Bundle 'nebula/nebula.exe')).Hash
        $out | Should -Contain "installed: Nebula's binaries (1 file(s)) in $(Join-Path $site.Root 'nebula')"
        $FakeWindows.Services['nebula'].Status | Should -Be 'Running'
        Test-Path (Join-Path $site.Root 'nebula.old') | Should -BeFalse
    }

    # Restart-Service throws StartServiceFailed when the service does not reach Running (FakeWindows.ps1 cites the
    # source): the rollback must run all the same, with the service stopped before anything is copied back.
    It 'puts the previous config and binaries back and restarts them when the new bundle does not run' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $before = Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml')
        $FakeWindows.ServiceRefuses = '# refused at start'
        Set-BundleFile $site 'config.yaml' ($before + "# refused at start`n")
        $FakeWindows.Changes.Clear()
        { Invoke-Install $site } | Should -Throw '*the new bundle did not run: Failed to start service ''nebula (nebula)''.*The previous config and binaries are back and the service runs them again*'
        Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml') | Should -Be $before
        $FakeWindows.Services['nebula'].Status | Should -Be 'Running'
        $FakeWindows.Changes.IndexOf('Stop-Service Name=nebula') | Should -BeGreaterThan $FakeWindows.Changes.IndexOf('Restart-Service Name=nebula')
        Test-Path (Join-Path $site.Root 'config/nebula.old') | Should -BeFalse
    }

    # Windows refuses to overwrite a running executable (the fake's Copy-Item too): a service that runs without its
    # adapter must be stopped before the previous nebula.exe goes back.
    It 'stops the service before it puts the previous binaries back' {
        Mock Start-Sleep { } # the adapter never appears: the 10 s of waiting for it (twice) are not what this checks
        $site = New-Site $ReleaseBundleDir
        Invoke-Install $site | Out-Null
        $exe = (Get-FileHash (Join-Path $site.Root 'nebula/nebula.exe')).Hash
        $FakeWindows.Interfaces.Remove(@($FakeWindows.Interfaces | Where-Object { $_.InterfaceAlias -eq 'nebula1' })[0]) | Out-Null
        Set-BundleFile $site 'nebula/nebula.exe' "#!/bin/sh`nexit 0`n"
        { Invoke-Install $site } | Should -Throw "*the new bundle did not run: the service runs but the adapter 'nebula1' did not appear*"
        (Get-FileHash (Join-Path $site.Root 'nebula/nebula.exe')).Hash | Should -Be $exe
    }

    It 'on a fresh host whose first start fails, says so and leaves the service stopped' {
        $site = New-Site $BundleDir
        $FakeWindows.ServiceRefuses = 'listen'
        { Invoke-Install $site } | Should -Throw '*the new bundle did not run: Failed to start service ''nebula (nebula)''.*there was no previous bundle*'
        $FakeWindows.Services['nebula'].Status | Should -Be 'Stopped'
    }

    It 'removes the uploaded bundle (it may hold host.key) whatever the outcome' {
        $site = New-Site $BundleDir -Incoming
        $FakeWindows.ServiceRefuses = 'listen'
        { Invoke-Install $site } | Should -Throw '*the new bundle did not run*'
        Test-Path (Join-Path $site.Root 'incoming') | Should -BeFalse
        $damaged = New-Site $BundleDir -Incoming
        Set-BundleFile $damaged 'config.yaml' 'tampered' -Damage
        { Invoke-Install $damaged } | Should -Throw '*bundle is damaged*'
        Test-Path (Join-Path $damaged.Root 'incoming') | Should -BeFalse
    }

    # A folder made in a drive's root inherits the root's ACL, which lets Authenticated Users modify it: nebula.exe
    # (run as LocalSystem) and the scripts the logon task runs elevated would be anyone's to replace.
    # A folder made first and restricted after has, for a moment, the drive root's ACL (Authenticated Users modify), and
    # a handle another account opens in that moment keeps its access (rights are checked when a handle is opened).
    It 'makes a new install root with its ACL in the call that creates it: never a moment with the drive root''s' {
        $site = New-Site $ReleaseBundleDir -NoRoot
        Test-Path $site.Root | Should -BeFalse
        $out = Invoke-Install $site
        $FakeWindows.Changes | Should -Contain "DirectoryInfo.Create $($site.Root) O:BAD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)"
        @($FakeWindows.Changes | Where-Object { $_ -like "icacls.exe $($site.Root) *" }) | Should -BeNullOrEmpty
        $out | Should -Not -Contain 'secured:*'
        $acl = Get-FakeAcl $site.Root
        ($acl.Protected, $acl.Owner) | Should -Be @($true, 'S-1-5-32-544')
        $acl.Aces.Keys | Should -Be @('S-1-5-32-544', 'S-1-5-18', 'S-1-5-32-545')
        $acl.Aces['S-1-5-32-545'] | Should -Be '(OI)(CI)RX'
        (Get-FakeAcl (Join-Path $site.Root 'config/nebula/host.key')).Aces.Keys | Should -Not -Contain 'S-1-5-32-545'
        $out | Should -Contain 'started: service nebula (nebula)'
    }

    It 'makes the install root Administrators and SYSTEM only, users read and run, and corrects an existing one' {
        $site = New-Site $BundleDir
        $out = Invoke-Install $site
        $acl = Get-FakeAcl $site.Root
        $acl.Protected | Should -BeTrue
        $acl.Aces.Keys | Should -Be @('S-1-5-32-544', 'S-1-5-18', 'S-1-5-32-545')
        $acl.Aces['S-1-5-32-545'] | Should -Be '(OI)(CI)RX'
        $out | Should -Contain "secured: $($site.Root) (it inherited its parent's ACL; it gave access to Authenticated Users (S-1-5-11)); now Administrators and SYSTEM only, users read"
        (Get-FakeAcl (Join-Path $site.Root 'nebula/nebula.exe')).Aces.Keys | Should -Not -Contain 'S-1-5-11'
        $FakeWindows.Changes.Clear()
        Invoke-Install $site | Should -Not -Contain 'secured:*'
        @($FakeWindows.Changes | Where-Object { $_ -like 'icacls.exe*' }) | Should -BeNullOrEmpty
    }

    # icacls /grant:r replaces only the SIDs it names and /inheritance:r only inherited entries: a root a standard
    # user made first keeps its owner (who keeps WRITE_DAC), an explicit Everyone write entry and a protected child
    # unless each is undone (docs/windows-contract.md).
    It 'makes a root with a hostile ACL right, not just reports it right: a fresh ACL, children reset, links gone, keys never readable' {
        $site = New-Site $BundleDir
        $root = $site.Root
        foreach ($d in 'scripts', 'config/nebula') { New-Item -ItemType Directory -Force -Path (Join-Path $root $d) | Out-Null }
        $FakeWindows.Acls[$root] = @{ Protected = $true; Owner = 'S-1-5-32-544'
            Aces = [ordered]@{ 'S-1-5-32-544' = '(OI)(CI)F'; 'S-1-5-18' = '(OI)(CI)F'; 'S-1-5-32-545' = '(OI)(CI)RX'; 'S-1-1-0' = '(OI)(CI)M' } }
        $FakeWindows.Acls[(Join-Path $root 'scripts')] = @{ Protected = $true; Owner = 'S-1-5-32-544'; Aces = [ordered]@{ 'S-1-5-21-1-2-3-eve' = '(OI)(CI)F' } }
        $FakeWindows.Acls[(Join-Path $root 'config/nebula')] = @{ Protected = $false; Owner = 'S-1-5-32-544'; Aces = [ordered]@{ 'S-1-5-32-545' = '(OI)(CI)RX' } }
        # Battery 14: links (junctions on Windows; symbolic links here) where the install deletes and what it runs as
        # SYSTEM: each goes itself, first, and what they point at is untouched.
        $victim = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $victim | Out-Null
        Set-Content -Path (Join-Path $victim 'thesis.docx') -Value 'years of work'
        New-Item -ItemType SymbolicLink -Path (Join-Path $root 'nebula.old') -Target $victim | Out-Null
        New-Item -ItemType SymbolicLink -Path (Join-Path $root 'config/nebula.new') -Target $victim | Out-Null
        $out = Invoke-Install $site
        $out | Should -Contain "removed: $(Join-Path $root 'nebula.old'), a link (to $victim) another account could have made there"
        $out | Should -Contain "removed: $(Join-Path $root 'config/nebula.new'), a link (to $victim) another account could have made there"
        Get-Content (Join-Path $victim 'thesis.docx') | Should -Be 'years of work'
        @(Get-ChildItem -Force -LiteralPath $victim).Count | Should -Be 1
        @($FakeWindows.Changes | Where-Object { $_ -like "icacls.exe $victim*" }) | Should -BeNullOrEmpty
        $out | Should -Contain "secured: $root (it gave access to Everyone (S-1-1-0)); now Administrators and SYSTEM only, users read"
        $acl = Get-FakeAcl $root
        $acl.Owner | Should -Be 'S-1-5-32-544'
        $acl.Protected | Should -BeTrue
        $acl.Aces.Keys | Should -Be @('S-1-5-32-544', 'S-1-5-18', 'S-1-5-32-545')
        $scripts = Get-FakeAcl (Join-Path $root 'scripts')
        ($scripts.Owner, $scripts.Protected) | Should -Be @('S-1-5-32-544', $false)
        $scripts.Aces.Keys | Should -Not -Contain 'S-1-5-21-1-2-3-eve'
        foreach ($key in 'config/nebula', 'config/nebula/host.key') { (Get-FakeAcl (Join-Path $root $key)).Aces.Keys | Should -Be @('S-1-5-32-544', 'S-1-5-18') }
        $FakeWindows.Changes.Clear()
        Invoke-Install $site | Should -Not -Contain 'secured:*'
        @($FakeWindows.Changes | Where-Object { $_ -like 'icacls.exe*' }) | Should -BeNullOrEmpty
    }

    # Battery 15: a root another account made (C:\ lets any account make C:\flatnet first), or anything such an
    # account made in it, is never taken over: a key it left would be kept and signed, and a handle it opened before
    # any ACL change keeps its access (learn.microsoft.com IRP_MJ_CREATE). Refused, named, nothing changed.
    It 'refuses a root another account made, or anything another account made in it, and changes nothing' {
        $site = New-Site $BundleDir
        $root = $site.Root
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'config/nebula') | Out-Null
        Set-Content -Path (Join-Path $root 'config/nebula/host.key') -Value 'a key eve chose'
        $FakeWindows.Acls[$root] = @{ Protected = $false; Owner = 'S-1-5-21-1-2-3-eve'; Aces = [ordered]@{} }
        { Invoke-Install $site } | Should -Throw "*another account made this in the install root: $root (owner S-1-5-21-1-2-3-eve); flatnet takes over nothing another account made*Move $root away*"
        @($FakeWindows.Changes | Where-Object { $_ -like 'icacls.exe*' }) | Should -BeNullOrEmpty
        Get-Content (Join-Path $root 'config/nebula/host.key') | Should -Be 'a key eve chose'
        $FakeWindows.Acls[$root] = @{ Protected = $false; Owner = 'S-1-5-32-544'; Aces = [ordered]@{} }
        $FakeWindows.Acls[(Join-Path $root 'config/nebula/host.key')] = @{ Protected = $false; Owner = 'S-1-5-21-1-2-3-eve'; Aces = [ordered]@{} }
        { Invoke-Install $site } | Should -Throw "*another account made this in the install root: $(Join-Path $root 'config/nebula/host.key') (owner S-1-5-21-1-2-3-eve)*"
        @($FakeWindows.Changes | Where-Object { $_ -like 'icacls.exe*' }) | Should -BeNullOrEmpty
    }

    # Battery 16: a root an administrator made by hand inherits C:\'s ACL; until flatnet locks it another account may
    # still make a key in it, which the reset below would make Administrators' and keep.
    It 'refuses what another account made in the root while it was being locked, and resets none of it' {
        $site = New-Site $BundleDir
        $root = $site.Root
        $key = Join-Path $root 'config/nebula/host.key'
        $FakeWindows.BeforeIcacls = {
            New-Item -ItemType Directory -Force -Path (Split-Path -Parent $key) | Out-Null
            Set-Content -Path $key -Value 'a key eve chose'
            $FakeWindows.Acls[$key] = @{ Protected = $false; Owner = 'S-1-5-21-1-2-3-eve'; Aces = [ordered]@{} }
        }.GetNewClosure()
        { Invoke-Install $site } | Should -Throw "*another account made this in the install root while the root was being locked: $key (owner S-1-5-21-1-2-3-eve)*"
        (Get-FakeAcl $key).Owner | Should -Be 'S-1-5-21-1-2-3-eve'
        @($FakeWindows.Changes | Where-Object { $_ -like 'icacls.exe * /reset *' }) | Should -BeNullOrEmpty
    }

    It 'asks Windows to restart the service when it stops with an error, not only when it crashes (failureflag)' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $FakeWindows.Changes | Should -Contain 'sc.exe failureflag nebula 1'
    }

    It 'stops when registering the service created none, whatever the exit code said' {
        $site = New-Site $BundleDir
        $env:FAKE_NEBULA_INSTALL_NOOP = '1'
        $env:FAKE_NEBULA_INSTALL_EXIT = '0'
        { Invoke-Install $site } | Should -Throw '*registering the nebula service with nebula did not create it*'
    }

    It 'stops when icacls cannot set an ACL' {
        $site = New-Site $BundleDir
        $FakeWindows.IcaclsExit = 1332
        { Invoke-Install $site } | Should -Throw "*icacls.exe could not make Administrators the owner of $($site.Root) (exit 1332): No mapping between account names and security IDs was done.*"
        Test-Path (Join-Path $site.Root 'config') | Should -BeFalse
    }

    It 'says that the inbox WSL cannot be started over SSH' {
        $site = New-Site $BundleDir
        $FakeWindows.InboxWsl = $true
        { Invoke-Install $site } | Should -Throw '*inbox WSL, which an SSH session cannot start; install WSL 2.0 or later from the Microsoft Store*'
    }

    It 'says that a Store WSL before 2.0 cannot be started over SSH either, by its number in any language' {
        $site = New-Site $BundleDir
        $FakeWindows.WslVersion = '1.2.5.0'
        { Invoke-Install $site } | Should -Throw '*WSL 1.2.5 is installed; an SSH session needs WSL 2.0 or later: run wsl.exe --update*'
    }

    It 'stops a running routing watcher before it registers the new one' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $FakeWindows.Tasks['flatnet routing'].Settings.StopIfGoingOnBatteries = $true   # as an older flatnet registered it
        $FakeWindows.Changes.Clear()
        Invoke-Install $site | Out-Null
        $register = @($FakeWindows.Changes | Where-Object { $_ -like 'Register-ScheduledTask TaskName=flatnet routing*' })[0]
        $FakeWindows.Changes.IndexOf('Stop-ScheduledTask TaskName=flatnet routing') | Should -BeGreaterThan -1
        $FakeWindows.Changes.IndexOf('Stop-ScheduledTask TaskName=flatnet routing') | Should -BeLessThan $FakeWindows.Changes.IndexOf($register)
    }

    # WSL keeps distros per account (FakeWindows.ps1: WslOwner): as flatnet, wsl.exe sees none of kh's.
    # The usual office: kh, a standard user, owns WSL; flatnet, an administrator, deploys. Only wsl.exe runs as kh,
    # unelevated (RunLevel Limited); the routes are set here, and SYSTEM keeps them from kh's reports.
    It 'checks the distros as WSL''s owner, unelevated, in the owner''s session, and sets up routing itself, when the owner is a standard user' {
        $site = New-Site $OwnerBundleDir
        $FakeWindows.WslOwner = 'kh'
        $FakeWindows.LoggedOn = @('kh')
        $FakeWindows.Admins = @('flatnet')
        $out = Invoke-Install $site
        $FakeWindows.Changes | Should -Contain 'New-NetRoute AddressFamily=IPv4 DestinationPrefix=10.101.2.0/24 InterfaceIndex=17 NextHop=172.29.1.2 PolicyStore=ActiveStore'
        @($FakeWindows.Changes | Where-Object { $_ -like 'Register-ScheduledTask TaskName=flatnet as WSL owner * User=kh LogonType=Interactive RunLevel=Limited*' }).Count | Should -Be 2
        @($FakeWindows.Tasks.Keys | Sort-Object) | Should -Be @('flatnet direct paths', 'flatnet routing', 'flatnet WSL address')   # the one-shot tasks are gone
        $FakeWindows.Tasks['flatnet WSL address'].Principal.UserId | Should -Be 'kh'
        $FakeWindows.Tasks['flatnet WSL address'].Principal.RunLevel | Should -Be 'Limited'
        $FakeWindows.Tasks['flatnet routing'].Principal.UserId | Should -Be 'SYSTEM'
        # kh may write where it reports WSL2's address, and nowhere else under the root.
        (Get-FakeAcl (Join-Path $site.Root 'run/wsl')).Aces.Keys | Should -Be @('S-1-5-32-544', 'S-1-5-18', 'S-1-5-21-1-2-3-kh')
        (Get-FakeAcl (Join-Path $site.Root 'run')).Aces.Keys | Should -Be @('S-1-5-32-544', 'S-1-5-18')
        @(Get-ChildItem -Recurse (Join-Path $env:ProgramData 'flatnet') -File -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
        $out | Should -Contain 'started: service nebula (nebula)'
    }

    It 'says the routing watcher starts at the owner''s next logon when nobody is logged on (an SSH session is not a logon)' {
        $site = New-Site $BundleDir
        $FakeWindows.LoggedOn = @()
        $out = Invoke-Install $site
        $out | Should -Contain "registered: scheduled task 'flatnet WSL address' (reports WSL2's address, as flatnet; from flatnet's next logon on: flatnet is not logged on now, so until then run ConfigureRouting after WSL2 restarts)"
        $FakeWindows.Tasks['flatnet WSL address'].State | Should -Be 'Ready'
        $out | Should -Contain "registered: scheduled task 'flatnet routing' (keeps routing on WSL2's current address, as SYSTEM; running now and from then on)"
    }

    It 'says what to do when WSL''s owner is not logged on' {
        $site = New-Site $OwnerBundleDir
        $FakeWindows.WslOwner = 'kh'
        $FakeWindows.LoggedOn = @('flatnet')
        { Invoke-Install $site } | Should -Throw '*WSL belongs to kh, who is not logged on to this PC*log on as kh (a locked screen is enough)*or make the account flatnet logs in as the owner of WSL (deploy.user: kh)*'
    }

    It 'stops when the account it runs as has no WSL distro, and says how to name the one that has' {
        $site = New-Site $BundleDir
        $FakeWindows.Distros = @()
        { Invoke-Install $site } | Should -Throw '*flatnet has no WSL distro; install one as flatnet*or set wsl_user: in hosts/host-b.yaml*'
    }

    It 're-registers a routing watcher registered with Task Scheduler''s battery defaults, and starts it' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $FakeWindows.Tasks['flatnet routing'].Settings.StopIfGoingOnBatteries = $true   # as an older flatnet registered it
        $FakeWindows.Tasks['flatnet routing'].State = 'Ready'
        $FakeWindows.Changes.Clear()
        Invoke-Install $site | Out-Null
        @($FakeWindows.Changes)[-2] | Should -BeLike 'Register-ScheduledTask TaskName=flatnet routing * OnBattery=True/True'
        @($FakeWindows.Changes)[-1] | Should -Be 'Start-ScheduledTask TaskName=flatnet routing'
    }

    It 'deletes the uploaded bundle (it held host.key) once installed, and leaves a bundle unpacked by hand alone' {
        $site = New-Site $BundleDir -Incoming
        Invoke-Install $site | Out-Null
        Test-Path (Join-Path $site.Root 'incoming/bundle') | Should -BeFalse
        Test-Path (Join-Path $site.Root 'installed-manifest.pending.json') | Should -BeTrue
        Reset-FakeWindows   # another PC
        $byHand = New-Site $BundleDir
        Invoke-Install $byHand | Out-Null
        Test-Path (Join-Path $byHand.Bundle 'install.ps1') | Should -BeTrue
    }

    It 'writes the mesh''s names into Windows'' hosts file, keeps every other byte of it, and clears the DNS cache' {
        $hosts = Get-FakeHostsFile
        # A user's own entry, in the ANSI code page (0xE9: é in Windows-1252), and no newline at the end.
        $mine = [byte[]]([Text.Encoding]::ASCII.GetBytes("127.0.0.1 localhost`r`n192.0.2.80 caf") + 0xE9 + [Text.Encoding]::ASCII.GetBytes(" # the office printer"))
        [IO.File]::WriteAllBytes($hosts, $mine)
        $site = New-Site $BundleDir
        $out = Invoke-Install $site
        $out | Should -Contain "set: names (5) in $hosts"
        $after = [IO.File]::ReadAllBytes($hosts)
        $after[0..($mine.Length - 1)] | Should -Be $mine
        $text = [Text.Encoding]::GetEncoding(28591).GetString($after)
        $text | Should -BeLike "*office printer`r`n# BEGIN flatnet names (*`r`n10.100.1.1 host-a`r`n*10.101.3.1 host-c-wsl`r`n# END flatnet names`r`n"
        $text | Should -Not -Match '(?m)^10\.100\.2\.1 host-b'
        $after | Should -Not -Contain 0   # ANSI, never UTF-16 (Windows' DNS Client would read no name from that)
        @($FakeWindows.Changes) | Should -Contain 'Clear-DnsClientCache'

        # Run again: nothing written, the cache left alone. Edited inside the block: put back as it was.
        $FakeWindows.Changes.Clear()
        Invoke-Install $site | Out-Null
        @($FakeWindows.Changes) | Should -Not -Contain 'Clear-DnsClientCache'
        [IO.File]::WriteAllText($hosts, $text.Replace('10.100.3.1 host-c', '10.9.9.9 host-c'), [Text.Encoding]::GetEncoding(28591))
        Invoke-Install $site | Should -Contain "set: names (5) in $hosts"
        [IO.File]::ReadAllBytes($hosts) | Should -Be $after

        # An END line before the BEGIN line is no block of flatnet's: named, and the file left exactly as it is.
        $reversed = "127.0.0.1 localhost`r`n# END flatnet names`r`nmine 1`r`n# BEGIN flatnet names`r`nmine 2`r`n"
        [IO.File]::WriteAllText($hosts, $reversed)
        Invoke-Install $site | Should -Contain "warning: names: $hosts has flatnet's BEGIN and END lines out of pairs or out of order (1 BEGIN, 1 END); remove flatnet's BEGIN and END lines by hand (and flatnet's names beside them), then install again"
        [IO.File]::ReadAllText($hosts) | Should -Be $reversed
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

    It 'gives a service an older flatnet registered the restart-on-error it lacked (failureflag), once' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $FakeWindows.FailureFlags['nebula'] = $false   # as flatnet before failureflag registered it
        $FakeWindows.Changes.Clear()
        Set-BundleFile $site 'config.yaml' ((Get-Content -Raw (Join-Path $site.Bundle 'config.yaml')) + "# newer`n")
        $out = Invoke-Install $site
        $FakeWindows.Changes | Should -Contain 'sc.exe failureflag nebula 1'
        $out | Should -Contain 'set: service nebula restarts when it stops with an error too (failureflag)'
        $FakeWindows.Changes.Clear()
        Set-BundleFile $site 'config.yaml' ((Get-Content -Raw (Join-Path $site.Bundle 'config.yaml')) + "# newer still`n")
        Invoke-Install $site | Out-Null
        @($FakeWindows.Changes | Where-Object { $_ -like 'sc.exe *' }) | Should -BeNullOrEmpty
    }

    It 'swaps in a changed config and restarts the service' {
        $site = New-Site $BundleDir
        Invoke-Install $site | Out-Null
        $FakeWindows.Changes.Clear()
        $newConfig = (Get-Content -Raw (Join-Path $site.Bundle 'config.yaml')) + "# changed`n"
        Set-BundleFile $site 'config.yaml' $newConfig
        $out = Invoke-Install $site
        Get-Content -Raw (Join-Path $site.Root 'config/nebula/config.yaml') | Should -Be ($newConfig.Replace('keys: []  #', "keys: [`"$((ssh-keygen -y -f (Join-Path $site.Root 'config/nebula/watcher_ed25519')) -replace ' [^ ]*$', '')`"]  #"))
        # The watcher runs this bundle's script: restarted with the new config.
        $FakeWindows.Changes | Should -Contain 'Stop-ScheduledTask TaskName=flatnet direct paths'
        $FakeWindows.Changes | Should -Contain 'Start-ScheduledTask TaskName=flatnet direct paths'
        $out | Should -Contain "restarted: scheduled task 'flatnet direct paths'"
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
        @($FakeWindows.Changes | Where-Object { $_ -like 'nssm.exe*' -or $_ -like 'sc.exe failure *' }) | Should -Be @(
            "nssm.exe install nebula $($site.Nebula) -config $($site.Root)/config/nebula/config.yaml",
            "nssm.exe set nebula AppStdout $log",
            "nssm.exe set nebula AppStderr $log",
            'sc.exe failure nebula reset= 86400 actions= restart/5000/restart/5000/restart/5000')
        NebulaCalls $site | Should -Be @("nebula.exe -test -config $($site.Root)/config/nebula/config.yaml")
    }

    It 'stops before writing anything when the install root''s drive does not exist (the spec''s F: on a PC without one)' {
        $site = New-Site $BundleDir
        { & (Join-Path $site.Bundle 'install.ps1') -Root 'Q:\flatnet' } | Should -Throw '*the install root Q:\flatnet is on drive Q:, which this PC does not have*'
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It 'says where to get nebula.exe when it is missing' {
        $site = New-Site $BundleDir -Bare
        { Invoke-Install $site } | Should -Throw '*nebula.exe is missing. Set nebula.windows.release*'
    }
}
