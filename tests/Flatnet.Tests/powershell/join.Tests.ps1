# Pester tests for a rendered join.ps1 (host-d, joined with Join), run against the fake Windows: a fresh PC gets
# OpenSSH Server, the deploy key where an administrator's key must be, port 22 for the LAN only, a locked install
# root, and prints the reply line the build machine pins.
# ScriptPath: the rendered join.ps1; DeployKey: the key it carries; Root: the install root it was rendered for.
param(
    [Parameter(Mandatory)][string]$ScriptPath,
    [Parameter(Mandatory)][string]$DeployKey
)

BeforeAll {
    . (Join-Path $PSScriptRoot '../../../src/Flatnet.Lab/windows/FakeWindows.ps1')
    function Invoke-Join([switch]$Check) {
        $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        & $ScriptPath -Root $root -Check:$Check
    }
    $script:AdminKeys = Join-Path $env:ProgramData 'ssh/administrators_authorized_keys'
}

AfterAll { Remove-FakeWindows }

Describe 'join.ps1' {
    BeforeEach { Reset-FakeWindows }

    It 'makes a fresh PC reachable: OpenSSH Server installed and started at boot, the deploy key in, port 22 for the LAN only, the root locked' {
        $out = Invoke-Join
        $changes = @($FakeWindows.Changes)
        $changes | Should -Contain 'Add-WindowsCapability Name=OpenSSH.Server~~~~0.0.1.0 Online=True'
        $changes | Should -Contain 'Set-Service Name=sshd StartupType=Automatic'
        $changes | Should -Contain 'Start-Service Name=sshd'
        $changes | Should -Contain 'New-NetFirewallRule Action=Allow Direction=Inbound DisplayName=flatnet: OpenSSH Server (LAN only) LocalPort=22 Profile=Private Protocol=TCP RemoteAddress=LocalSubnet'
        # OpenSSH's own rule (every profile as the capability installs it) loses Public only.
        $changes | Should -Contain 'Set-NetFirewallRule Name=OpenSSH-Server-In-TCP Profile=Domain, Private'
        Test-FakeFirewallAllows 'flatnet: OpenSSH Server (LAN only)' | Should -BeTrue
        @(Get-Content -LiteralPath $AdminKeys) | Should -Contain $DeployKey
        # OpenSSH reads an administrator's keys only from a file Administrators and SYSTEM alone may write.
        @($changes | Where-Object { $_ -like 'icacls.exe *administrators_authorized_keys.flatnet-tmp /inheritance:r /grant:r `*S-1-5-32-544:F `*S-1-5-18:F' }).Count | Should -Be 1
        # The install root, made with its ACL in the call that creates it: nothing left for icacls to mend.
        @($changes | Where-Object { $_ -like 'DirectoryInfo.Create * O:BAD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)' }).Count | Should -Be 1
        @($changes | Where-Object { $_ -like 'icacls.exe * /inheritance:r /grant:r `*S-1-5-32-544:(OI)(CI)F `*S-1-5-18:(OI)(CI)F `*S-1-5-32-545:(OI)(CI)RX' }).Count | Should -Be 0
        $out[-1] | Should -Be "flatnet-join host=host-d host_key=SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s address=192.168.1.23 user=$env:USERNAME wsl_user=$env:USERNAME wsl=2.3.26.0 build=22631"
    }

    It 'changes nothing when run again' {
        $root = Join-Path $TestDrive 'again'
        & $ScriptPath -Root $root | Out-Null
        $FakeWindows.Changes.Clear()
        $out = & $ScriptPath -Root $root
        @($FakeWindows.Changes | Where-Object { $_ -notlike 'Set-Service *' }) | Should -BeNullOrEmpty
        @(Get-Content -LiteralPath $AdminKeys | Where-Object { $_ -eq $DeployKey }).Count | Should -Be 1
        $out[-1] | Should -BeLike 'flatnet-join host=host-d *'
    }

    It 'with -Check says what is missing and changes nothing' {
        $out = Invoke-Join -Check
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
        $out | Should -Contain 'missing  OpenSSH Server (would be installed)'
        ($out -join "`n") | Should -BeLike '*missing  deploy key in administrators_authorized_keys (would be added)*'
        Test-Path -LiteralPath $AdminKeys | Should -BeFalse
    }

    It 'says how to install OpenSSH Server when Windows Update cannot give it (WSUS: 0x800f0954) and changes nothing' {
        # MicrosoftDocs/windowsserverdocs issues 2928, 4070, 7843: Add-WindowsCapability throws a COMException there.
        $FakeWindows.SshCapabilityError = '0x800f0954'
        { Invoke-Join } | Should -Throw '*OpenSSH Server could not be installed (Add-WindowsCapability failed. Error code = 0x800f0954); install it from Settings > Optional features*'
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
        Test-Path -LiteralPath $AdminKeys | Should -BeFalse
    }

    It 'says where to look when sshd does not start (Start-Service fails with StartServiceFailed)' {
        $FakeWindows.SshdRefuses = $true
        { Invoke-Join } | Should -Throw "*sshd did not start (Failed to start service 'sshd (sshd)')*Event Viewer*"
    }

    It 'names every missing prerequisite at once and changes nothing' {
        $FakeWindows.Build = '18363'
        $FakeWindows.InboxWsl = $true
        { & $ScriptPath -Root 'Q:\flatnet' } | Should -Throw '*3 prerequisite(s) missing (above); nothing was changed*'
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    # A domain-joined office PC: its LAN is DomainAuthenticated, which Windows Firewall applies as the Domain profile;
    # a rule for Private alone would never let the build machine in (docs/windows-contract.md).
    It 'on a domain-joined PC opens port 22 for the Domain profile and keeps OpenSSH''s own rule serving it' {
        $FakeWindows.NetworkCategory = 'DomainAuthenticated'
        $out = Invoke-Join
        $changes = @($FakeWindows.Changes)
        $changes | Should -Contain 'New-NetFirewallRule Action=Allow Direction=Inbound DisplayName=flatnet: OpenSSH Server (LAN only) LocalPort=22 Profile=Domain Protocol=TCP RemoteAddress=LocalSubnet'
        Test-FakeFirewallAllows 'flatnet: OpenSSH Server (LAN only)' | Should -BeTrue
        $FakeWindows.NamedRules['OpenSSH-Server-In-TCP'] | Should -Be 'Domain, Private'
        $out | Should -Contain 'ok       LAN Ethernet: DomainAuthenticated network (firewall profile Domain)'
    }

    It 'never narrows a rule that already serves the Domain profile, and adds the LAN''s profile to a rule of ours that lacks it' {
        $root = Join-Path $TestDrive 'joined-later'
        & $ScriptPath -Root $root | Out-Null                  # joined at home: Private
        $FakeWindows.NetworkCategory = 'DomainAuthenticated'  # then the PC joined the office's domain
        $FakeWindows.NamedRules['OpenSSH-Server-In-TCP'] = 'Domain'
        $FakeWindows.Changes.Clear()
        & $ScriptPath -Root $root | Out-Null
        $FakeWindows.NamedRules['OpenSSH-Server-In-TCP'] | Should -Be 'Domain'
        @($FakeWindows.Changes) | Should -Not -Contain 'Set-NetFirewallRule Name=OpenSSH-Server-In-TCP Profile=Private'
        $FakeWindows.RuleProfiles['flatnet: OpenSSH Server (LAN only)'] | Should -Be 'Private, Domain'
        Test-FakeFirewallAllows 'flatnet: OpenSSH Server (LAN only)' | Should -BeTrue
    }

    It 'refuses a Public LAN with the fix, before changing anything' {
        $FakeWindows.NetworkCategory = 'Public'
        $out = & { try { Invoke-Join } catch { "threw: $($_.Exception.Message)" } }
        ($out -join "`n") | Should -BeLike '*FAIL*the LAN (Ethernet) is a Public network*Set-NetConnectionProfile -InterfaceIndex 5 -NetworkCategory Private*threw: *1 prerequisite(s) missing (above); nothing was changed*'
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It 'refuses an account name the reply could not carry ("John Smith" would pin "John")' {
        { & $ScriptPath -Root (Join-Path $TestDrive 'space') -WslUser 'John Smith' } | Should -Throw '*1 prerequisite(s) missing*'
        @($FakeWindows.Changes) | Should -BeNullOrEmpty
    }

    It 'checks that the WSL owner exists and says whether it is an administrator' {
        { & $ScriptPath -Root (Join-Path $TestDrive 'nobody') -WslUser 'nobody' } | Should -Throw '*1 prerequisite(s) missing*'
        $out = & $ScriptPath -Root (Join-Path $TestDrive 'office') -WslUser 'office-user'
        $out | Should -Contain 'ok       WSL owner office-user, a standard user: only the wsl.exe questions run as it; routes, forwarding and the firewall run as this account'
        $out[-1] | Should -BeLike '* wsl_user=office-user *'
    }
}
