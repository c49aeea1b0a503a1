# A small fake Windows for testing generated scripts under PowerShell 7 on Linux.
# Global functions shadow the Windows-only commands (functions win over cmdlets and .exe files), keep a little
# state (adapters, routes, registry, firewall rules) so idempotency can be tested, and record every change.
# Dot-source it, then call Reset-FakeWindows in BeforeEach and Remove-FakeWindows in AfterAll.

$script:FakeCommands = @(
    'wsl.exe', 'Get-NetIPInterface', 'Set-NetIPInterface', 'Get-NetRoute', 'New-NetRoute', 'Remove-NetRoute',
    'Get-ItemProperty', 'Set-ItemProperty', 'Get-NetFirewallRule', 'New-NetFirewallRule',
    'Get-Service', 'Start-Service', 'Restart-Service', 'Get-CimInstance', 'sc.exe', 'nssm.exe', 'icacls.exe',
    'Get-ScheduledTask', 'Register-ScheduledTask', 'New-ScheduledTaskAction', 'New-ScheduledTaskTrigger', 'New-ScheduledTaskPrincipal',
    'Get-NetFirewallHyperVRule', 'New-NetFirewallHyperVRule', 'New-ScheduledTaskSettingsSet'
)

function global:Reset-FakeWindows {
    # -Windows10: no Hyper-V firewall cmdlets, as on Windows 10.
    param([string]$WslAlias = 'vEthernet (WSL)', [switch]$Windows10)
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
    }
    if ($Windows10) {
        Remove-Item -Path 'Function:\New-NetFirewallHyperVRule', 'Function:\Get-NetFirewallHyperVRule' -ErrorAction SilentlyContinue
    } else {
        New-Item -Force -Path 'function:global:Get-NetFirewallHyperVRule' -Value {
            param([string]$Name, [object]$ErrorAction)
            if ($global:FakeWindows.HyperVRules.Contains($Name)) { [pscustomobject]@{ Name = $Name } }
        } | Out-Null
        New-Item -Force -Path 'function:global:New-NetFirewallHyperVRule' -Value {
            param([string]$Name, [string]$DisplayName, [string]$Direction, [string]$VMCreatorId, [string[]]$RemoteAddresses, [string]$Action)
            $global:FakeWindows.Changes.Add((Format-FakeCall 'New-NetFirewallHyperVRule' $PSBoundParameters))
            $global:FakeWindows.HyperVRules.Add($Name)
        } | Out-Null
    }
    foreach ($i in @(@($WslAlias, 17), @('nebula1', 23), @('Ethernet', 5))) {
        $global:FakeWindows.Interfaces.Add([pscustomobject]@{ InterfaceAlias = $i[0]; ifIndex = $i[1]; AddressFamily = 'IPv4'; Forwarding = 'Disabled' })
    }
}

# "Name Key=Value ..." with keys sorted, so expectations are independent of argument order.
function global:Format-FakeCall([string]$Name, [hashtable]$Bound) {
    $parts = foreach ($key in ($Bound.Keys | Where-Object { $_ -notin @('ErrorAction', 'Confirm') } | Sort-Object)) {
        "$key=$(@($Bound[$key]) -join ',')"
    }
    (@($Name) + @($parts)) -join ' '
}

function global:wsl.exe {
    if ($args -contains '-l') {
        $global:LASTEXITCODE = if ($global:FakeWindows.WslRunning) { 0 } else { 1 }
        if ($global:FakeWindows.WslRunning) { 'Ubuntu' }
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
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Set-NetIPInterface' $PSBoundParameters))
    ($global:FakeWindows.Interfaces | Where-Object { $_.ifIndex -eq $InterfaceIndex }).Forwarding = $Forwarding
}

function global:Get-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [object]$ErrorAction)
    $global:FakeWindows.Routes | Where-Object { -not $DestinationPrefix -or $_.DestinationPrefix -eq $DestinationPrefix }
}

function global:New-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [int]$InterfaceIndex, [string]$NextHop, [string]$PolicyStore)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'New-NetRoute' $PSBoundParameters))
    $route = [pscustomobject]@{ DestinationPrefix = $DestinationPrefix; NextHop = $NextHop; ifIndex = $InterfaceIndex }
    $global:FakeWindows.Routes.Add($route)
    $route
}

function global:Remove-NetRoute {
    param([string]$AddressFamily, [string]$DestinationPrefix, [string]$NextHop, [switch]$Confirm)
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
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Set-ItemProperty' $PSBoundParameters))
    $global:FakeWindows.Registry["$Path\$Name"] = $Value
}

function global:Get-NetFirewallRule {
    param([string]$DisplayName, [object]$ErrorAction)
    if ($global:FakeWindows.FirewallRules.Contains($DisplayName)) { [pscustomobject]@{ DisplayName = $DisplayName } }
}

function global:New-NetFirewallRule {
    param([string]$DisplayName, [string]$Direction, [string]$Protocol, [string]$LocalPort, [string]$IcmpType,
          [string[]]$RemoteAddress, [string]$Action, [string]$Profile)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'New-NetFirewallRule' $PSBoundParameters))
    $global:FakeWindows.FirewallRules.Add($DisplayName)
    [pscustomobject]@{ DisplayName = $DisplayName }
}

function global:Get-Service {
    param([string]$Name, [object]$ErrorAction)
    if ($global:FakeWindows.Services.ContainsKey($Name)) { [pscustomobject]@{ Name = $Name; Status = $global:FakeWindows.Services[$Name].Status } }
}

function global:Start-Service {
    param([string]$Name)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Start-Service' $PSBoundParameters))
    if (-not $global:FakeWindows.Services.ContainsKey($Name)) {
        $global:FakeWindows.Services[$Name] = @{ PathName = $global:FakeWindows.NebulaServicePath }
    }
    $global:FakeWindows.Services[$Name].Status = 'Running'
}

function global:Restart-Service {
    param([string]$Name)
    $global:FakeWindows.Changes.Add((Format-FakeCall 'Restart-Service' $PSBoundParameters))
    $global:FakeWindows.Services[$Name].Status = 'Running'
}

function global:Get-CimInstance {
    param([string]$ClassName, [string]$Filter)
    if ($Filter -match "Name='([^']+)'" -and $global:FakeWindows.Services.ContainsKey($Matches[1])) {
        [pscustomobject]@{ Name = $Matches[1]; PathName = $global:FakeWindows.Services[$Matches[1]].PathName }
    }
}

function global:sc.exe {
    $global:FakeWindows.Changes.Add("sc.exe $($args -join ' ')")
    $global:LASTEXITCODE = 0
}

function global:nssm.exe {
    $global:FakeWindows.Changes.Add("nssm.exe $($args -join ' ')")
    if ($args[0] -eq 'install') { $global:FakeWindows.Services[$args[1]] = @{ Status = 'Stopped'; PathName = 'C:\tools\nssm.exe' } }
    $global:LASTEXITCODE = 0
}

function global:icacls.exe {
    $global:FakeWindows.Changes.Add("icacls.exe $($args -join ' ')")
    $global:LASTEXITCODE = 0
}

function global:Get-ScheduledTask {
    param([string]$TaskName, [object]$ErrorAction)
    if ($global:FakeWindows.Tasks.ContainsKey($TaskName)) { [pscustomobject]@{ TaskName = $TaskName } }
}

function global:New-ScheduledTaskAction { param([string]$Execute, [string]$Argument) [pscustomobject]@{ Execute = $Execute; Argument = $Argument } }
function global:New-ScheduledTaskTrigger { param([switch]$AtLogOn, [string]$User) [pscustomobject]@{ AtLogOn = [bool]$AtLogOn; User = $User } }
function global:New-ScheduledTaskPrincipal { param([string]$UserId, [string]$LogonType, [string]$RunLevel) [pscustomobject]@{ UserId = $UserId; LogonType = $LogonType; RunLevel = $RunLevel } }

function global:New-ScheduledTaskSettingsSet { param([TimeSpan]$ExecutionTimeLimit, [int]$RestartCount, [TimeSpan]$RestartInterval) [pscustomobject]@{ ExecutionTimeLimit = $ExecutionTimeLimit; RestartCount = $RestartCount } }

function global:Register-ScheduledTask {
    param([string]$TaskName, [object]$Action, [object]$Trigger, [object]$Principal, [object]$Settings)
    $call = "Register-ScheduledTask TaskName=$TaskName Execute=$($Action.Execute) Argument=$($Action.Argument) AtLogOn=$($Trigger.AtLogOn) User=$($Principal.UserId) LogonType=$($Principal.LogonType) RunLevel=$($Principal.RunLevel) ExecutionTimeLimit=$($Settings.ExecutionTimeLimit) RestartCount=$($Settings.RestartCount)"
    $global:FakeWindows.Changes.Add($call)
    $global:FakeWindows.Tasks[$TaskName] = $call
    [pscustomobject]@{ TaskName = $TaskName }
}

# %WINDIR%\System32\OpenSSH\ssh-keygen.exe, as Windows' OpenSSH Client installs it: here the real ssh-keygen behind
# a wrapper that also records its command line. install.ps1 starts it with one verbatim argument string, which
# .NET splits by the same CommandLineToArgvW rules as Windows (-N "" is one empty argument).
$script:FakeWindir = Join-Path ([IO.Path]::GetTempPath()) ("fake-windir-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Force -Path (Join-Path $script:FakeWindir 'System32/OpenSSH') | Out-Null
$script:FakeKeygen = Join-Path $script:FakeWindir 'System32/OpenSSH/ssh-keygen.exe'
Set-Content -Path $script:FakeKeygen -Value "#!/bin/sh`necho `"ssh-keygen.exe `$*`" >> '$script:FakeWindir/keygen-calls'`nexec ssh-keygen `"`$@`""
chmod +x $script:FakeKeygen
$env:WINDIR = $script:FakeWindir

function global:Remove-FakeWindows {
    foreach ($name in $script:FakeCommands) { Remove-Item -Path "Function:\$name" -ErrorAction SilentlyContinue }
    Remove-Item -Recurse -Force -LiteralPath $script:FakeWindir -ErrorAction SilentlyContinue
    Remove-Item Env:\WINDIR -ErrorAction SilentlyContinue
}
