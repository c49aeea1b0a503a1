# A small fake Windows for testing generated scripts under PowerShell 7 on Linux.
# Global functions shadow the Windows-only commands (functions win over cmdlets and .exe files), keep a little
# state (adapters, routes, registry, firewall rules) so idempotency can be tested, and record every change.
# Dot-source it, then call Reset-FakeWindows in BeforeEach and Remove-FakeWindows in AfterAll.

$script:FakeCommands = @(
    'wsl.exe', 'Get-NetIPInterface', 'Set-NetIPInterface', 'Get-NetRoute', 'New-NetRoute', 'Remove-NetRoute',
    'Get-ItemProperty', 'Set-ItemProperty', 'Get-NetFirewallRule', 'New-NetFirewallRule',
    'Get-Service', 'Start-Service', 'Restart-Service', 'Get-CimInstance', 'sc.exe', 'nssm.exe', 'icacls.exe',
    'Get-ScheduledTask', 'Register-ScheduledTask', 'New-ScheduledTaskAction', 'New-ScheduledTaskTrigger', 'New-ScheduledTaskPrincipal',
    'Get-NetFirewallHyperVRule', 'New-NetFirewallHyperVRule', 'New-ScheduledTaskSettingsSet',
    'Stop-Service', 'Start-ScheduledTask', 'Copy-Item', 'whoami.exe', 'ping.exe', 'Get-NetNat',
    'Remove-NetFirewallRule', 'Remove-NetFirewallHyperVRule', 'Unregister-ScheduledTask', 'Get-Acl', 'Get-FakeAcl', 'Stop-ScheduledTask', 'Invoke-CimMethod',
    'Assert-FakeServiceStarted', 'Get-WindowsCapability', 'Add-WindowsCapability', 'Set-Service', 'Get-NetIPConfiguration', 'Set-NetFirewallRule',
    'Get-NetConnectionProfile', 'Get-LocalGroupMember', 'Test-FakeFirewallAllows', 'Assert-FakeElevated', 'Get-OwnFakeAcl',
    'Clear-DnsClientCache', 'Get-FakeHostsFile'
)

# Windows always names the account a script runs as; pwsh on Linux sets USER only.
if (-not $env:USERNAME) { $env:USERNAME = 'admin' }

function global:Reset-FakeWindows {
    # -Windows10: no Hyper-V firewall cmdlets, as on Windows 10.
    param([string]$WslAlias = 'vEthernet (WSL)', [switch]$Windows10)
    if ($env:ProgramData) { Remove-Item -Recurse -Force -LiteralPath (Join-Path $env:ProgramData 'ssh') -ErrorAction SilentlyContinue }
    if ($script:FakeHosts) { [IO.File]::WriteAllText($script:FakeHosts, $script:StockHosts) }
    $global:FakeWindows = [pscustomobject]@{
        Changes       = New-Object System.Collections.Generic.List[string]
        Interfaces    = New-Object System.Collections.Generic.List[object]
        Routes        = New-Object System.Collections.Generic.List[object]
        Registry      = @{}
        FirewallRules = New-Object System.Collections.Generic.List[string]
        WslOutput     = '172.29.1.2'
        WslExit       = 0
        WslRunning    = $true                                         # what `wsl.exe -l --running -q` says
        WslNext       = New-Object System.Collections.Generic.Queue[string]  # addresses WSL2 has on later asks
        WslQueries    = 0
        Services      = @{}   # name -> @{ Status; PathName }
        Tasks         = @{}   # name -> the registration call
        HyperVRules   = New-Object System.Collections.Generic.List[string]
        # What a service installed by 'nebula.exe -service install' runs (the fake nebula.exe cannot tell us).
        NebulaServicePath = ''
        # The fake nebula.exe (a separate process) registers its service by writing this file, as the real one
        # writes the Service Control Manager's database; Get-Service then sees it.
        ServiceRegistry   = ''
        NebulaExe         = ''
        InboxWsl          = $false   # Windows' inbox WSL: no `wsl.exe --version`, cannot be started over SSH
        WslVersion        = '2.3.26.0'  # Store WSL; before 2.0 an SSH session cannot start it either
        # WSL's distros and VM belong to one account: wsl.exe run as any other sees none (microsoft/WSL keeps the
        # distros in the user's registry hive, HKCU\...\Lxss, and runs the VM per user).
        WslOwner          = $env:USERNAME   # by default the account the scripts run as owns WSL
        LoggedOn          = @($env:USERNAME)  # accounts with an interactive session (an explorer.exe of theirs)
        Distros           = @('Ubuntu')  # what `wsl.exe -l -q` lists for the installing user
        Build             = '22631'      # Win32_OperatingSystem.BuildNumber (Windows 11 23H2)
        Elevated          = $true
        PingExit          = 0            # ping.exe (from Windows) and ping inside WSL2
        WslPingExit       = 0
        # Get-NetNat: WSL's own NAT covers its 172.x network, never the stable address from the routed block.
        Nats              = @([pscustomobject]@{ Name = 'WSLNat'; InternalIPInterfaceAddressPrefix = '172.29.16.0/20' })
        IcaclsExit        = 0
        Silent            = @()          # addresses that never answer a ping (a peer switched off)
        # Nebula's service runs nebula.Main inside Start; on a config it cannot run (a port taken, an adapter it cannot
        # make) it never reports Running and the service ends Stopped (cmd/nebula-service/service.go;
        # kardianos/service service_windows.go, Execute returns (true, 1)). Here: a live config holding this text.
        ServiceRefuses    = ''
        # Explicit ACLs (path -> ACEs) set by icacls; a path without one inherits from its parent, and a folder in a
        # drive's root from the root's, which grants Authenticated Users Modify (C:\ and typical data volumes).
        Acls              = @{}
        BeforeIcacls      = $null    # a script block run once, just before the next icacls.exe (another account's move)
        # OpenSSH Server, a Windows capability: absent on a fresh PC. Installing it registers sshd (stopped) and the
        # firewall rule OpenSSH-Server-In-TCP for every profile; sshd's first start makes its host keys.
        SshCapability     = 'NotPresent'
        SshHostKey        = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKw9cIeOef7gGoadmWHo3WNj4s66U8PDdpSD9nMURlhm fake-host'  # ssh-keygen -l: SHA256:fn1wY+62XahAJh01G76wyxGnqauNqz9WZb2055jI55s
        NamedRules        = @{}   # firewall rules by Name -> Profile
        # A PC whose updates come from WSUS cannot fetch the capability: Add-WindowsCapability throws a COMException,
        # "Add-WindowsCapability failed. Error code = 0x800f0954" (MicrosoftDocs/windowsserverdocs issues 2928, 4070, 7843).
        SshCapabilityError = ''
        # sshd that does not start (its port taken, a host key it cannot read): Start-Service's StartServiceFailed.
        SshdRefuses       = $false
        LanAddress        = '192.168.1.23'
        # The LAN adapter's network category (Get-NetConnectionProfile): Public, Private or DomainAuthenticated, which
        # Windows Firewall applies as the Public, Private or Domain profile. A domain-joined office PC's LAN is
        # DomainAuthenticated; a network Windows has not been told about is Public (docs/windows-contract.md).
        NetworkCategory   = 'Private'
        # Firewall rules by display name -> the profiles they apply to, as Get-NetFirewallRule's Profile prints them
        # ('Any', 'Private', 'Domain, Private'); a rule applies only on a network whose profile it names.
        RuleProfiles      = @{}
        # Local accounts (Win32_UserAccount) and the members of Administrators (S-1-5-32-544).
        Accounts          = @($env:USERNAME, 'kh', 'office-user')
        Admins            = @($env:USERNAME)
        FailureFlags      = @{}   # service -> sc.exe failureflag (restart when it stops with an error exit code)
    }
    if ($Windows10) {
        Remove-Item -Path 'Function:\New-NetFirewallHyperVRule', 'Function:\Get-NetFirewallHyperVRule', 'Function:\Remove-NetFirewallHyperVRule' -ErrorAction SilentlyContinue
    } else {
        New-Item -Force -Path 'function:global:Remove-NetFirewallHyperVRule' -Value {
            param([string]$Name)
            $global:FakeWindows.Changes.Add((Format-FakeCall 'Remove-NetFirewallHyperVRule' $PSBoundParameters))
            [void]$global:FakeWindows.HyperVRules.Remove($Name)
        } | Out-Null
        New-Item -Force -Path 'function:global:Get-NetFirewallHyperVRule' -Value {
            param([string]$Name, [object]$ErrorAction)
            if ($global:FakeWindows.HyperVRules.Contains($Name)) { [pscustomobject]@{ Name = $Name } }
        } | Out-Null
        New-Item -Force -Path 'function:global:New-NetFirewallHyperVRule' -Value {
            param([string]$Name, [string]$DisplayName, [string]$Direction, [string]$VMCreatorId, [string[]]$RemoteAddresses, [string]$Action)
            Assert-FakeElevated 'New-NetFirewallHyperVRule'
            $global:FakeWindows.Changes.Add((Format-FakeCall 'New-NetFirewallHyperVRule' $PSBoundParameters))
            $global:FakeWindows.HyperVRules.Add($Name)
        } | Out-Null
    }
    foreach ($i in @(@($WslAlias, 17, 1500), @('nebula1', 23, 1300), @('Ethernet', 5, 1500))) {
        $global:FakeWindows.Interfaces.Add([pscustomobject]@{ InterfaceAlias = $i[0]; ifIndex = $i[1]; AddressFamily = 'IPv4'; Forwarding = 'Disabled'; NlMtu = $i[2] })
    }
}

# "Name Key=Value ..." with keys sorted, so expectations are independent of argument order.
function global:Format-FakeCall([string]$Name, [hashtable]$Bound) {
    $parts = foreach ($key in ($Bound.Keys | Where-Object { $_ -notin @('ErrorAction', 'Confirm') } | Sort-Object)) {
        "$key=$(@($Bound[$key]) -join ',')"
    }
    (@($Name) + @($parts)) -join ' '
}

# Routes, forwarding, the registry's HKLM and the firewall change only for an elevated token (an administrator's
# elevated session, or SYSTEM); anyone else gets Windows' "Access is denied".
function global:Assert-FakeElevated([string]$What) {
    if (-not $global:FakeWindows.Elevated) { throw [System.UnauthorizedAccessException]::new("${What}: Access is denied.") }
}

function global:wsl.exe {
    if ($args -contains '--version') {
        # Only the Store WSL knows --version (1.0 and later); the inbox one complains on stderr and fails. A native
        # command's stderr line is a terminating error under ErrorActionPreference Stop in Windows PowerShell 5.1
        # when its stderr is redirected (PowerShell 7 changed that, PR #13361): Write-Error shows the same here.
        $global:LASTEXITCODE = if ($global:FakeWindows.InboxWsl) { -1 } else { 0 }
        if ($global:FakeWindows.InboxWsl) { Write-Error -Message 'Invalid command line option: --version' -ErrorId NativeCommandError; return }
        "WSL version: $($global:FakeWindows.WslVersion)"
        return
    }
    if ($env:USERNAME -ne $global:FakeWindows.WslOwner) {
        # Another account's wsl.exe: no distro, whatever is asked (exit -1, as wsl.exe says it).
        $global:LASTEXITCODE = -1
        'Windows Subsystem for Linux has no installed distributions.'
        return
    }
    if ($args -contains 'ping') {
        $global:LASTEXITCODE = if (@($args | Where-Object { $global:FakeWindows.Silent -contains $_ }).Count -gt 0) { 1 } else { $global:FakeWindows.WslPingExit }
        return
    }
    if ($args -contains '-l' -and $args -contains '--running') {
        $global:LASTEXITCODE = if ($global:FakeWindows.WslRunning) { 0 } else { 1 }
        if ($global:FakeWindows.WslRunning) { 'Ubuntu' }
        return
    }
    if ($args -contains '-l') {
        # The installing user's distros, as wsl.exe writes them: UTF-16, which Windows PowerShell 5.1 reads with NULs.
        $global:LASTEXITCODE = 0
        foreach ($d in $global:FakeWindows.Distros) { ($d.ToCharArray() | ForEach-Object { "$_" + [char]0 }) -join '' }
        return
    }
    $global:FakeWindows.WslQueries++
    if ($global:FakeWindows.WslNext.Count -gt 0) { $global:FakeWindows.WslOutput = $global:FakeWindows.WslNext.Dequeue() }
    $global:LASTEXITCODE = $global:FakeWindows.WslExit
    $global:FakeWindows.WslOutput
}

function global:Get-NetIPInterface {
    param([string]$AddressFamily, [string]$InterfaceAlias, [object]$ErrorAction)
    $global:FakeWindows.Interfaces | Where-Object { -not $InterfaceAlias -or $_.InterfaceAlias -eq $InterfaceAlias }
}

function global:Set-NetIPInterface {
    param([int]$InterfaceIndex, [string]$AddressFamily, [string]$Forwarding)
    Assert-FakeElevated 'Set-NetIPInterface'
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Set-NetIPInterface' $PSBoundParameters))
    ($global:FakeWindows.Interfaces | Where-Object { $_.ifIndex -eq $InterfaceIndex }).Forwarding = $Forwarding
}

function global:Get-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [object]$ErrorAction)
    $global:FakeWindows.Routes | Where-Object { -not $DestinationPrefix -or $_.DestinationPrefix -eq $DestinationPrefix }
}

function global:New-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [int]$InterfaceIndex, [string]$NextHop, [string]$PolicyStore)
    Assert-FakeElevated 'New-NetRoute'
    $global:FakeWindows.Changes.Add((Format-FakeCall 'New-NetRoute' $PSBoundParameters))
    $route = [pscustomobject]@{ DestinationPrefix = $DestinationPrefix; NextHop = $NextHop; ifIndex = $InterfaceIndex }
    $global:FakeWindows.Routes.Add($route)
    $route
}

function global:Remove-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [string]$NextHop, [switch]$Confirm)
    Assert-FakeElevated 'Remove-NetRoute'
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Remove-NetRoute' $PSBoundParameters))
    foreach ($r in @($global:FakeWindows.Routes | Where-Object { $_.DestinationPrefix -eq $DestinationPrefix -and $_.NextHop -eq $NextHop })) {
        [void]$global:FakeWindows.Routes.Remove($r)
    }
}

function global:Get-ItemProperty {
    param([string]$Path, [string]$Name, [object]$ErrorAction)
    $key = "$Path\$Name"
    if ($global:FakeWindows.Registry.ContainsKey($key)) { [pscustomobject]@{ $Name = $global:FakeWindows.Registry[$key] } }
}

function global:Set-ItemProperty {
    param([string]$Path, [string]$Name, [object]$Value, [string]$Type)
    Assert-FakeElevated 'Set-ItemProperty'
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Set-ItemProperty' $PSBoundParameters))
    $global:FakeWindows.Registry["$Path\$Name"] = $Value
}

function global:Get-NetFirewallRule {
    param([string]$DisplayName, [string]$Name, [object]$ErrorAction)
    if ($Name) { if ($global:FakeWindows.NamedRules.ContainsKey($Name)) { [pscustomobject]@{ Name = $Name; Profile = $global:FakeWindows.NamedRules[$Name] } }; return }
    if ($global:FakeWindows.FirewallRules.Contains($DisplayName)) {
        [pscustomobject]@{ DisplayName = $DisplayName; Profile = $(if ($global:FakeWindows.RuleProfiles.ContainsKey($DisplayName)) { $global:FakeWindows.RuleProfiles[$DisplayName] } else { 'Any' }) }
    }
}

function global:Set-NetFirewallRule {
    param([string]$Name, [string]$DisplayName, [string]$Profile)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Set-NetFirewallRule' $PSBoundParameters))
    if ($Name) { $global:FakeWindows.NamedRules[$Name] = $Profile } else { $global:FakeWindows.RuleProfiles[$DisplayName] = $Profile }
}

# Get-NetConnectionProfile -InterfaceIndex N: the network category Windows gave the adapter's network.
function global:Get-NetConnectionProfile {
    param([int]$InterfaceIndex)
    if ($InterfaceIndex -ne 5) { return }
    [pscustomobject]@{ InterfaceIndex = 5; InterfaceAlias = 'Ethernet'; NetworkCategory = $global:FakeWindows.NetworkCategory }
}

# Get-LocalGroupMember -SID S-1-5-32-544: the administrators, each with its SID.
function global:Get-LocalGroupMember {
    param([string]$SID, [object]$ErrorAction)
    if ($SID -ne 'S-1-5-32-544') { throw "Group $SID was not found." }
    $global:FakeWindows.Admins | ForEach-Object { [pscustomobject]@{ Name = "PC\$_"; SID = "S-1-5-21-1-2-3-$_" } }
}

# Whether a firewall rule lets a connection in on the LAN: it must apply to the LAN's profile (docs/windows-contract.md).
function global:Test-FakeFirewallAllows([string]$DisplayName) {
    $profile = @{ DomainAuthenticated = 'Domain'; Private = 'Private'; Public = 'Public' }[$global:FakeWindows.NetworkCategory]
    $rule = Get-NetFirewallRule -DisplayName $DisplayName
    $rule -and ("$($rule.Profile)" -eq 'Any' -or @("$($rule.Profile)".Split(',') | ForEach-Object { $_.Trim() }) -contains $profile)
}

function global:Get-WindowsCapability {
    param([switch]$Online, [string]$Name)
    [pscustomobject]@{ Name = 'OpenSSH.Server~~~~0.0.1.0'; State = $global:FakeWindows.SshCapability }
}

function global:Add-WindowsCapability {
    param([switch]$Online, [string]$Name)
    if ($global:FakeWindows.SshCapabilityError) {
        throw [System.Runtime.InteropServices.COMException]::new("Add-WindowsCapability failed. Error code = $($global:FakeWindows.SshCapabilityError)")
    }
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Add-WindowsCapability' $PSBoundParameters))
    $global:FakeWindows.SshCapability = 'Installed'
    $global:FakeWindows.Services['sshd'] = @{ Status = 'Stopped'; PathName = 'C:\Windows\System32\OpenSSH\sshd.exe' }
    $global:FakeWindows.NamedRules['OpenSSH-Server-In-TCP'] = 'Any'
    [pscustomobject]@{ RestartNeeded = $false }
}

function global:Set-Service {
    param([string]$Name, [string]$StartupType)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Set-Service' $PSBoundParameters))
    if (-not $global:FakeWindows.Services.ContainsKey($Name)) { throw "Service $Name was not found on computer '.'." }
}

function global:Get-NetIPConfiguration {
    [pscustomobject]@{ InterfaceIndex = 5; InterfaceAlias = 'Ethernet'; IPv4DefaultGateway = [pscustomobject]@{ NextHop = '192.168.1.1' }; NetAdapter = [pscustomobject]@{ Status = 'Up' }; IPv4Address = [pscustomobject]@{ IPAddress = $global:FakeWindows.LanAddress } }
}

function global:New-NetFirewallRule {
    param([string]$DisplayName, [string]$Direction, [string]$Protocol, [string]$LocalPort, [string]$IcmpType,
          [string[]]$RemoteAddress, [string]$Action, [string]$Profile)
    Assert-FakeElevated 'New-NetFirewallRule'
    $global:FakeWindows.Changes.Add((Format-FakeCall 'New-NetFirewallRule' $PSBoundParameters))
    $global:FakeWindows.FirewallRules.Add($DisplayName)
    $global:FakeWindows.RuleProfiles[$DisplayName] = $(if ($Profile) { $Profile } else { 'Any' })
    [pscustomobject]@{ DisplayName = $DisplayName }
}

function global:Remove-NetFirewallRule {
    param([string]$DisplayName)
    Assert-FakeElevated 'Remove-NetFirewallRule'
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Remove-NetFirewallRule' $PSBoundParameters))
    [void]$global:FakeWindows.FirewallRules.Remove($DisplayName)
}

# Services registered (`-service install`) or unregistered (`-service uninstall`) by the fake nebula.exe since the last look.
function global:Sync-FakeServices {
    $registry = $global:FakeWindows.ServiceRegistry
    if (-not $registry) { return }
    $listed = if (Test-Path -LiteralPath $registry) { @(Get-Content -LiteralPath $registry) } else { @() }
    foreach ($name in $listed) {
        if (-not $global:FakeWindows.Services.ContainsKey($name)) {
            $global:FakeWindows.Services[$name] = @{ Status = 'Stopped'; PathName = $global:FakeWindows.NebulaServicePath; ByNebula = $true }
        }
    }
    foreach ($name in @($global:FakeWindows.Services.Keys)) {
        if ($global:FakeWindows.Services[$name]['ByNebula'] -and $listed -notcontains $name) { $global:FakeWindows.Services.Remove($name) }
    }
}

# Nebula starts only when wintun.dll sits at <folder of nebula.exe>\dist\windows\wintun\bin\<arch>\wintun.dll
# (overlay/tun_windows.go); 1.10 and later then exit at once, so the service ends up Stopped.
function global:Start-FakeNebula([string]$Name) {
    $exe = $global:FakeWindows.NebulaExe
    $wintun = if ($exe) { Join-Path (Split-Path -Parent $exe) 'dist/windows/wintun/bin/amd64/wintun.dll' } else { '' }
    $config = if ($exe) { Join-Path (Split-Path -Parent (Split-Path -Parent $exe)) 'config/nebula/config.yaml' } else { '' }
    $refused = $global:FakeWindows.ServiceRefuses -and $config -and (Test-Path -LiteralPath $config) -and
        (Get-Content -Raw -LiteralPath $config).Contains($global:FakeWindows.ServiceRefuses)
    $runs = (-not $exe -or (Test-Path -LiteralPath $wintun)) -and -not $refused
    $global:FakeWindows.Services[$Name].Status = if ($runs) { 'Running' } else { 'Stopped' }
    $global:FakeWindows.Services[$Name].Exe = $exe
}

function global:Get-Service {
    param([string]$Name, [object]$ErrorAction)
    Sync-FakeServices
    if ($global:FakeWindows.Services.ContainsKey($Name)) { [pscustomobject]@{ Name = $Name; Status = $global:FakeWindows.Services[$Name].Status } }
}

# Start-Service and Restart-Service wait while the service is StartPending; one that ends anywhere but Running is
# StartServiceFailed, a non-terminating error that ErrorActionPreference Stop turns into a throw (PowerShell's
# Microsoft.PowerShell.Commands.Management Service.cs: DoStartService, DoWaitForStatus).
function global:Assert-FakeServiceStarted([string]$Name, [string]$Command) {
    if ($global:FakeWindows.Services[$Name].Status -ne 'Running') {
        Write-Error -Message "Failed to start service '$Name ($Name)'." -Category OpenError -ErrorId "StartServiceFailed,Microsoft.PowerShell.Commands.$Command"
    }
}

function global:Start-Service {
    [CmdletBinding()] param([string]$Name)
    Sync-FakeServices
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Start-Service' $PSBoundParameters))
    if (-not $global:FakeWindows.Services.ContainsKey($Name)) { throw "Cannot find any service with service name '$Name'." }
    if ($Name -eq 'sshd') {
        $keys = Join-Path $env:ProgramData 'ssh'
        New-Item -ItemType Directory -Force -Path $keys | Out-Null
        $pub = Join-Path $keys 'ssh_host_ed25519_key.pub'
        if (-not (Test-Path -LiteralPath $pub)) { Set-Content -LiteralPath $pub -Value $global:FakeWindows.SshHostKey }
        $global:FakeWindows.Services[$Name].Status = if ($global:FakeWindows.SshdRefuses) { 'Stopped' } else { 'Running' }
        Assert-FakeServiceStarted $Name 'StartServiceCommand'
        return
    }
    Start-FakeNebula $Name
    Assert-FakeServiceStarted $Name 'StartServiceCommand'
}

function global:Stop-Service {
    [CmdletBinding()] param([string]$Name)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Stop-Service' $PSBoundParameters))
    $global:FakeWindows.Services[$Name].Status = 'Stopped'
}

function global:Restart-Service {
    [CmdletBinding()] param([string]$Name)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Restart-Service' $PSBoundParameters))
    Start-FakeNebula $Name
    Assert-FakeServiceStarted $Name 'RestartServiceCommand'
}

# Windows refuses to overwrite the executable of a running process ("being used by another process").
function global:Copy-Item {
    param([string[]]$Path, [string[]]$LiteralPath, [string]$Destination, [switch]$Force, [switch]$Recurse)
    foreach ($s in @($global:FakeWindows.Services.Values | Where-Object { $_.Status -eq 'Running' -and $_.ContainsKey('Exe') -and $_.Exe })) {
        foreach ($source in @(@($Path) + @($LiteralPath) | Where-Object { $_ })) {
            $target = if (Test-Path -LiteralPath $Destination -PathType Container) { Join-Path $Destination (Split-Path -Leaf $source) } else { $Destination }
            if ([IO.Path]::GetFullPath($target) -eq [IO.Path]::GetFullPath($s.Exe)) {
                throw "The process cannot access the file '$target' because it is being used by another process."
            }
        }
    }
    Microsoft.PowerShell.Management\Copy-Item @PSBoundParameters
}

# whoami.exe /groups: an elevated session carries the High Mandatory Level, S-1-16-12288.
function global:whoami.exe {
    'Mandatory Label\Medium Mandatory Level Label S-1-16-8192'
    if ($global:FakeWindows.Elevated) { 'Mandatory Label\High Mandatory Level Label S-1-16-12288' }
    $global:LASTEXITCODE = 0
}

function global:Get-NetNat {
    param([object]$ErrorAction)
    $global:FakeWindows.Nats
}

function global:ping.exe {
    $global:LASTEXITCODE = if (@($args | Where-Object { $global:FakeWindows.Silent -contains $_ }).Count -gt 0) { 1 } else { $global:FakeWindows.PingExit }
}

function global:Get-CimInstance {
    param([string]$ClassName, [string]$Filter)
    if ($ClassName -eq 'Win32_OperatingSystem') { return [pscustomobject]@{ BuildNumber = $global:FakeWindows.Build } }
    if ($ClassName -eq 'Win32_UserAccount') {
        if ($Filter -match "Name = '([^']+)'" -and $global:FakeWindows.Accounts -contains $Matches[1]) { return [pscustomobject]@{ Name = $Matches[1]; SID = "S-1-5-21-1-2-3-$($Matches[1])" } }
        return
    }
    # Each logged-on account runs its own explorer.exe; Invoke-CimMethod GetOwner names it.
    if ($ClassName -eq 'Win32_Process') { return @($global:FakeWindows.LoggedOn | ForEach-Object { [pscustomobject]@{ Name = 'explorer.exe'; Owner = $_ } }) }
    Sync-FakeServices
    if ($Filter -match "Name='([^']+)'" -and $global:FakeWindows.Services.ContainsKey($Matches[1])) {
        [pscustomobject]@{ Name = $Matches[1]; PathName = $global:FakeWindows.Services[$Matches[1]].PathName }
    }
}

function global:Invoke-CimMethod {
    param([Parameter(ValueFromPipeline)][object]$InputObject, [string]$MethodName)
    process { if ($MethodName -eq 'GetOwner') { [pscustomobject]@{ User = $InputObject.Owner; ReturnValue = 0 } } }
}

# sc.exe: `failureflag NAME 1` is kept per service; `qfailureflag NAME` answers as sc.exe prints it (a query: no change).
function global:sc.exe {
    $global:LASTEXITCODE = 0
    if ($args[0] -eq 'qfailureflag') {
        '[SC] QueryServiceConfig2 SUCCESS', '', "SERVICE_NAME: $($args[1])"
        "        FAILURE_ACTIONS_ON_NONCRASH_FAILURES: $(if ($global:FakeWindows.FailureFlags[$args[1]]) { 'TRUE' } else { 'FALSE' })"
        return
    }
    $global:FakeWindows.Changes.Add("sc.exe $($args -join ' ')")
    if ($args[0] -eq 'failureflag') { $global:FakeWindows.FailureFlags[$args[1]] = "$($args[2])" -eq '1' }
}

function global:nssm.exe {
    $global:FakeWindows.Changes.Add("nssm.exe $($args -join ' ')")
    if ($args[0] -eq 'install') { $global:FakeWindows.Services[$args[1]] = @{ Status = 'Stopped'; PathName = 'C:\tools\nssm.exe' } }
    if ($args[0] -eq 'remove' -and $args[2] -eq 'confirm') { $global:FakeWindows.Services.Remove($args[1]) }
    $global:LASTEXITCODE = 0
}

# icacls.exe as Microsoft documents it (windows-commands/icacls): /grant:r replaces the grants of the SIDs it names
# only; /inheritance:r removes only inherited entries (explicit entries of other SIDs survive); /remove SID takes a
# SID's entries out; /setowner sets the owner (who keeps WRITE_DAC whatever the ACL says); /reset replaces a path's
# ACL with what it inherits; /T does so for everything below too. A path's own ACL is @{ Protected; Aces; Owner }.
function global:icacls.exe {
    # Another account acting while flatnet works (a test's hook, run once, before the first icacls takes effect).
    if ($global:FakeWindows.BeforeIcacls) { $hook = $global:FakeWindows.BeforeIcacls; $global:FakeWindows.BeforeIcacls = $null; & $hook }
    $global:FakeWindows.Changes.Add("icacls.exe $($args -join ' ')")
    $global:LASTEXITCODE = $global:FakeWindows.IcaclsExit
    if ($global:LASTEXITCODE -ne 0) { 'No mapping between account names and security IDs was done.'; return }
    $path = Resolve-FakePath "$($args[0])"
    $tree = $args -contains '/T'
    $targets = @($path) + @(if ($tree) { @($global:FakeWindows.Acls.Keys) + @(Get-ChildItem -Recurse -Force -LiteralPath $path -ErrorAction SilentlyContinue | ForEach-Object { $_.FullName }) | Where-Object { $_.StartsWith($path + [IO.Path]::DirectorySeparatorChar) } | Select-Object -Unique })
    for ($i = 1; $i -lt $args.Count; $i++) {
        switch ("$($args[$i])") {
            '/reset' { foreach ($t in $targets) { $global:FakeWindows.Acls.Remove($t) } }
            '/setowner' {
                $i++
                foreach ($t in $targets) { (Get-OwnFakeAcl $t).Owner = "$($args[$i])".TrimStart('*') }
            }
            '/inheritance:r' { (Get-OwnFakeAcl $path).Protected = $true }
            '/remove' {
                $i++; while ($i -lt $args.Count -and "$($args[$i])" -notlike '/*') { (Get-OwnFakeAcl $path).Aces.Remove("$($args[$i])".TrimStart('*')); $i++ }; $i--
            }
            '/grant:r' {
                $i++; while ($i -lt $args.Count -and "$($args[$i])" -notlike '/*') { $sid, $perm = "$($args[$i])".Split(':', 2); (Get-OwnFakeAcl $path).Aces[$sid.TrimStart('*')] = $perm; $i++ }; $i--
            }
        }
    }
    "processed file: $path"
}

# Windows PowerShell 5.1 runs on .NET Framework, whose DirectoryInfo.Create(DirectorySecurity) makes a folder, and each
# missing folder above it, with the security descriptor given, in the call that creates it (learn.microsoft.com
# DirectoryInfo.Create; the reference source passes it to every CreateDirectory). .NET on Linux has neither that
# overload nor DirectorySecurity, so New-Object answers for these two types with stand-ins that record the SDDL's
# owner and entries as each new folder's ACL. Every other type is New-Object's own.
function global:New-Object {
    $type = "$($args[0])" -replace '^System\.', ''
    if ($type -eq 'Security.AccessControl.DirectorySecurity') {
        $security = [pscustomobject]@{ Sddl = $null }
        $security | Add-Member -MemberType ScriptMethod -Name SetSecurityDescriptorSddlForm -Value { param($sddl) $this.Sddl = "$sddl" }
        return $security
    }
    if ($type -eq 'IO.DirectoryInfo') {
        $info = [pscustomobject]@{ FullName = Resolve-FakePath "$($args[1])" }
        $info | Add-Member -MemberType ScriptMethod -Name Create -Value { param($security) New-FakeProtectedFolder $this.FullName $security.Sddl }
        return $info
    }
    Microsoft.PowerShell.Utility\New-Object @args
}

# A folder (and the missing ones above it) made with an SDDL's owner and protected entries, as Windows would; only the
# forms flatnet writes are known: well-known SIDs BA, SY, BU, rights FA (full), 0x1200a9 (read and run), 0x1301bf (modify).
function global:New-FakeProtectedFolder([string]$Path, [string]$Sddl) {
    $global:FakeWindows.Changes.Add("DirectoryInfo.Create $Path $Sddl")
    $sids = @{ BA = 'S-1-5-32-544'; SY = 'S-1-5-18'; BU = 'S-1-5-32-545' }
    $rights = @{ FA = 'F'; '0x1200a9' = 'RX'; '0x1301bf' = 'M' }
    if ($Sddl -notmatch '^O:(?<owner>BA|SY)D:(?<flags>P?)(?<aces>(\(A;(OICI)?;[^;()]+;;;[A-Z]{2}\))+)$') { throw 'The SDDL form of a security descriptor object is invalid.' }
    $owner = $sids[$Matches.owner]; $protected = $Matches.flags -eq 'P'; $aceText = $Matches.aces
    $missing = @(for ($p = $Path; $p -and -not (Test-Path -LiteralPath $p); $p = Split-Path -Parent $p) { $p })
    [Array]::Reverse($missing)
    foreach ($folder in $missing) {
        [void][IO.Directory]::CreateDirectory($folder)
        $aces = [ordered]@{}
        foreach ($ace in [regex]::Matches($aceText, '\(A;(OICI)?;([^;()]+);;;([A-Z]{2})\)')) {
            $aces[$sids[$ace.Groups[3].Value]] = "$(if ($ace.Groups[1].Value) { '(OI)(CI)' })$($rights[$ace.Groups[2].Value])"
        }
        $global:FakeWindows.Acls[$folder] = @{ Protected = $protected; Owner = $owner; Aces = $aces }
    }
}

# A path as PowerShell's file system provider takes it: the lab writes Windows paths with backslashes, which .NET on
# Linux would take as part of a name; the key every fake ACL is kept under.
function global:Resolve-FakePath([string]$Path) { [IO.Path]::GetFullPath($Path.Replace('\', '/')) }

# A path's own ACL entry, made (empty, inheriting, owned by Administrators) when it has none yet.
function global:Get-OwnFakeAcl([string]$Path) {
    if (-not $global:FakeWindows.Acls.ContainsKey($Path)) { $global:FakeWindows.Acls[$Path] = @{ Protected = $false; Aces = [ordered]@{}; Owner = 'S-1-5-32-544' } }
    $global:FakeWindows.Acls[$Path]
}

# The ACL a path has, as @{ Protected; Aces; Inherited; Owner }: its own entries, and (unless protected) what it
# inherits from its nearest parent with an ACL; a folder in a drive's root inherits the root's, which grants
# Authenticated Users Modify (C:\ and typical data volumes).
function global:Get-FakeAcl([string]$Path) {
    $full = Resolve-FakePath $Path
    $own = if ($global:FakeWindows.Acls.ContainsKey($full)) { $global:FakeWindows.Acls[$full] } else { $null }
    $inherited = [ordered]@{}
    if (-not $own -or -not $own.Protected) {
        $parent = $null
        for ($p = Split-Path -Parent $full; $p; $p = Split-Path -Parent $p) { if ($global:FakeWindows.Acls.ContainsKey($p)) { $parent = Get-FakeAcl $p; break } }
        $from = if ($parent) { $parent.Aces } else { [ordered]@{ 'S-1-5-32-544' = 'F'; 'S-1-5-18' = 'F'; 'S-1-5-11' = 'M'; 'S-1-5-32-545' = 'RX' } }
        foreach ($k in $from.Keys) { $inherited[$k] = $from[$k] }
    }
    $aces = [ordered]@{}
    foreach ($k in $inherited.Keys) { $aces[$k] = $inherited[$k] }
    if ($own) { foreach ($k in $own.Aces.Keys) { $aces[$k] = $own.Aces[$k] } }
    @{ Protected = [bool]($own -and $own.Protected); Aces = $aces; Inherited = @($inherited.Keys | Where-Object { -not $own -or -not $own.Aces.Contains($_) }); Owner = $(if ($own) { $own.Owner } else { 'S-1-5-32-544' }) }
}

# Get-Acl as Windows answers it: whether inheritance is off (AreAccessRulesProtected), the owner (GetOwner), and each
# entry's principal (SID) and rights, explicit or inherited (GetAccessRules(includeExplicit, includeInherited, type)).
function global:Get-Acl {
    param([string]$LiteralPath, [string]$Path)
    $acl = Get-FakeAcl "$LiteralPath$Path"
    $rights = @{ F = 'FullControl'; M = 'Modify, Synchronize'; RX = 'ReadAndExecute, Synchronize' }
    $rules = @(foreach ($sid in $acl.Aces.Keys) {
        [pscustomobject]@{ IdentityReference = [pscustomobject]@{ Value = $sid }; FileSystemRights = $rights["$($acl.Aces[$sid])".Replace('(OI)', '').Replace('(CI)', '')]; IsInherited = $acl.Inherited -contains $sid }
    })
    $result = [pscustomobject]@{ AreAccessRulesProtected = $acl.Protected; Rules = $rules; OwnerSid = $acl.Owner }
    $result | Add-Member -MemberType ScriptMethod -Name GetAccessRules -Value { param($explicit, $inherited, $type) $this.Rules | Where-Object { ($explicit -and -not $_.IsInherited) -or ($inherited -and $_.IsInherited) } }
    $result | Add-Member -MemberType ScriptMethod -Name GetOwner -Value { param($type) [pscustomobject]@{ Value = $this.OwnerSid } }
    $result
}

function global:Get-ScheduledTask {
    param([string]$TaskName, [object]$ErrorAction)
    # TaskName takes wildcards, as Get-ScheduledTask's does.
    foreach ($name in @($global:FakeWindows.Tasks.Keys)) { if ($name -like $TaskName) { $global:FakeWindows.Tasks[$name] } }
}

# A task that runs a script file (-File "...") once, as its principal in that account's interactive session, runs
# here and now with USERNAME switched to that account; the routing watcher (which runs for ever) is only marked Running.
function global:Start-ScheduledTask {
    param([string]$TaskName)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Start-ScheduledTask' $PSBoundParameters))
    $task = $global:FakeWindows.Tasks[$TaskName]
    $user = "$($task.Principal.UserId)".Split('\')[-1]
    # Interactive: it runs only in the user's existing session (TASK_LOGON_INTERACTIVE_TOKEN); SYSTEM needs none.
    if ($user -and $user -ne 'SYSTEM' -and $global:FakeWindows.LoggedOn -notcontains $user) { return }
    $task.State = 'Running'
    $arguments = "$(@($task.Actions)[0].Arguments)"
    if ($arguments -match '-File "([^"]+)"$' -and $arguments -notmatch '-Watch|-Report') {
        # RunLevel Highest elevates only an administrator's token; Limited never does; SYSTEM is always elevated.
        $elevated = $user -eq 'SYSTEM' -or ("$($task.Principal.RunLevel)" -eq 'Highest' -and $global:FakeWindows.Admins -contains $user)
        $me = $env:USERNAME
        $wasElevated = $global:FakeWindows.Elevated
        try { $env:USERNAME = $user; $global:FakeWindows.Elevated = $elevated; & $Matches[1] }
        finally { $env:USERNAME = $me; $global:FakeWindows.Elevated = $wasElevated; $task.State = 'Ready' }
    }
}

function global:Stop-ScheduledTask {
    param([string]$TaskName, [object]$ErrorAction)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Stop-ScheduledTask' $PSBoundParameters))
    if ($global:FakeWindows.Tasks.ContainsKey($TaskName)) { $global:FakeWindows.Tasks[$TaskName].State = 'Ready' }
}

function global:Unregister-ScheduledTask {
    param([string]$TaskName, [switch]$Confirm)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Unregister-ScheduledTask' $PSBoundParameters))
    if (-not $global:FakeWindows.Tasks.ContainsKey($TaskName)) { throw "No MSFT_ScheduledTask objects found with property 'TaskName' equal to '$TaskName'." }
    $global:FakeWindows.Tasks.Remove($TaskName)
}

function global:New-ScheduledTaskAction { param([string]$Execute, [string]$Argument) [pscustomobject]@{ Execute = $Execute; Argument = $Argument } }
function global:New-ScheduledTaskTrigger { param([switch]$AtLogOn, [switch]$AtStartup, [string]$User) [pscustomobject]@{ AtLogOn = [bool]$AtLogOn; AtStartup = [bool]$AtStartup; User = $User } }
function global:New-ScheduledTaskPrincipal { param([string]$UserId, [string]$LogonType, [string]$RunLevel) [pscustomobject]@{ UserId = $UserId; LogonType = $LogonType; RunLevel = $RunLevel } }

# Task Scheduler's defaults (New-ScheduledTaskSettingsSet): no start on battery, stopped when a laptop unplugs.
function global:New-ScheduledTaskSettingsSet {
    param([TimeSpan]$ExecutionTimeLimit, [int]$RestartCount, [TimeSpan]$RestartInterval, [switch]$AllowStartIfOnBatteries, [switch]$DontStopIfGoingOnBatteries, [switch]$StartWhenAvailable)
    [pscustomobject]@{ ExecutionTimeLimit = $ExecutionTimeLimit; RestartCount = $RestartCount
        DisallowStartIfOnBatteries = -not $AllowStartIfOnBatteries; StopIfGoingOnBatteries = -not $DontStopIfGoingOnBatteries; StartWhenAvailable = [bool]$StartWhenAvailable }
}

function global:Register-ScheduledTask {
    param([string]$TaskName, [object]$Action, [object]$Trigger, [object]$Principal, [object]$Settings, [switch]$Force)
    if ($global:FakeWindows.Tasks.ContainsKey($TaskName) -and -not $Force) { throw "Cannot create a file when that file already exists." }
    $call = "Register-ScheduledTask TaskName=$TaskName Execute=$($Action.Execute) Argument=$($Action.Argument) AtLogOn=$(if ($Trigger) { $Trigger.AtLogOn } else { $false })$(if ($Trigger) { " AtStartup=$($Trigger.AtStartup)" }) User=$($Principal.UserId) LogonType=$($Principal.LogonType) RunLevel=$($Principal.RunLevel) ExecutionTimeLimit=$($Settings.ExecutionTimeLimit) RestartCount=$($Settings.RestartCount) OnBattery=$(-not $Settings.DisallowStartIfOnBatteries)/$(-not $Settings.StopIfGoingOnBatteries)"
    $global:FakeWindows.Changes.Add($call)
    # What Get-ScheduledTask returns: the definition and its state (Ready until started).
    $global:FakeWindows.Tasks[$TaskName] = [pscustomobject]@{
        TaskName = $TaskName; State = 'Ready'; Actions = @([pscustomobject]@{ Execute = $Action.Execute; Arguments = $Action.Argument })
        Principal = [pscustomobject]@{ UserId = $Principal.UserId; LogonType = $Principal.LogonType; RunLevel = $Principal.RunLevel }; Settings = $Settings }
    $global:FakeWindows.Tasks[$TaskName]
}

# %WINDIR%\System32\OpenSSH\ssh-keygen.exe, as Windows' OpenSSH Client installs it: here the real ssh-keygen behind
# a wrapper that also records its command line. install.ps1 starts it with one verbatim argument string, which
# .NET splits by the same CommandLineToArgvW rules as Windows (-N "" is one empty argument).
$script:FakeWindir = Join-Path ([IO.Path]::GetTempPath()) ("fake-windir-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Force -Path (Join-Path $script:FakeWindir 'System32/OpenSSH') | Out-Null
$script:FakeKeygen = Join-Path $script:FakeWindir 'System32/OpenSSH/ssh-keygen.exe'
Set-Content -Path $script:FakeKeygen -Value "#!/bin/sh`necho `"ssh-keygen.exe `$*`" >> '$script:FakeWindir/keygen-calls'`nexec ssh-keygen `"`$@`""
chmod +x $script:FakeKeygen
# ssh.exe beside it, as the OpenSSH Client installs it: the real ssh (the direct-paths watcher talks to Nebula's admin interface with it).
Set-Content -Path (Join-Path $script:FakeWindir 'System32/OpenSSH/ssh.exe') -Value "#!/bin/sh`nexec ssh `"`$@`""
chmod +x (Join-Path $script:FakeWindir 'System32/OpenSSH/ssh.exe')
$env:WINDIR = $script:FakeWindir
# %SystemRoot% is %WINDIR%; its System32\drivers\etc\hosts holds what a fresh Windows ships (comments, CRLF, ANSI).
$env:SystemRoot = $script:FakeWindir
$script:FakeHosts = Join-Path $script:FakeWindir 'System32/drivers/etc/hosts'
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $script:FakeHosts) | Out-Null
$script:StockHosts = "# Copyright (c) 1993-2009 Microsoft Corp.`r`n#`r`n# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.`r`n#`r`n" +
    "# localhost name resolution is handled within DNS itself.`r`n#`t127.0.0.1       localhost`r`n#`t::1             localhost`r`n"
function global:Get-FakeHostsFile { $script:FakeHosts }
# The DNS Client's cache: clearing it is recorded (it may hold "no such name" for a name looked up before).
function global:Clear-DnsClientCache { $global:FakeWindows.Changes.Add('Clear-DnsClientCache') }
New-Item -ItemType Directory -Force -Path (Join-Path $script:FakeWindir 'ProgramData') | Out-Null
$env:ProgramData = Join-Path $script:FakeWindir 'ProgramData'

function global:Remove-FakeWindows {
    foreach ($name in $script:FakeCommands) { Remove-Item -Path "Function:\$name" -ErrorAction SilentlyContinue }
    Remove-Item -Recurse -Force -LiteralPath $script:FakeWindir -ErrorAction SilentlyContinue
    Remove-Item Env:\WINDIR, Env:\SystemRoot, Env:\ProgramData -ErrorAction SilentlyContinue
}
