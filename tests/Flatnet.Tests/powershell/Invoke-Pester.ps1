# Runs one Pester file with data, prints "N passed, N failed", exits with the number failed (capped at 100).
param(
    [Parameter(Mandatory)][string]$PesterModule,
    [Parameter(Mandatory)][string]$TestFile,
    [hashtable]$Data = @{}
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterModule -Force
$config = New-PesterConfiguration
$config.Run.Container = New-PesterContainer -Path $TestFile -Data $Data
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $config
"$($result.PassedCount) passed, $($result.FailedCount) failed"
if ($result.Result -ne 'Passed' -or $result.PassedCount -eq 0) { exit [Math]::Max(1, [Math]::Min(100, $result.FailedCount)) }
exit 0
