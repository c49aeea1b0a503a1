# Fails on PowerShell 7-only syntax, so generated scripts keep running under Windows PowerShell 5.1:
# pipeline chains (&&, ||), ternaries, ?? and ??=, ?. and ?[], and non-ASCII text (5.1 reads BOM-less files as ANSI).
# Also on what 5.1 runs differently: a native command whose stderr is redirected (2>&1, 2>$null) throws on its first
# stderr line under ErrorActionPreference Stop (PowerShell 7 changed that, PR #13361), so natives go through
# Invoke-Native (templates/_native.ps1.scriban), which redirects under Continue.
param([Parameter(Mandatory)][string[]]$Path)
$ErrorActionPreference = 'Stop'
$problems = New-Object System.Collections.Generic.List[string]
foreach ($file in $Path) {
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($file, [ref]$tokens, [ref]$errors)
    foreach ($e in $errors) { $problems.Add("${file}:$($e.Extent.StartLineNumber): does not parse: $($e.Message)") }
    $found = $ast.FindAll({
        param($n)
        ($n -is [System.Management.Automation.Language.PipelineChainAst]) -or
        ($n -is [System.Management.Automation.Language.TernaryExpressionAst]) -or
        ($n -is [System.Management.Automation.Language.BinaryExpressionAst] -and "$($n.Operator)" -eq 'QuestionQuestion') -or
        ($n -is [System.Management.Automation.Language.AssignmentStatementAst] -and "$($n.Operator)" -eq 'QuestionQuestionEquals') -or
        ($n -is [System.Management.Automation.Language.MemberExpressionAst] -and $n.NullConditional) -or
        ($n -is [System.Management.Automation.Language.IndexExpressionAst] -and $n.NullConditional)
    }, $true)
    foreach ($n in $found) { $problems.Add("${file}:$($n.Extent.StartLineNumber): PowerShell 7 only: $($n.Extent.Text.Split("`n")[0])") }
    $natives = $ast.FindAll({
        param($n)
        if ($n -isnot [System.Management.Automation.Language.CommandAst]) { return $false }
        $stderr = @($n.Redirections | Where-Object { "$($_.FromStream)" -eq 'Error' })
        $first = $n.CommandElements[0]
        $native = ("$($n.GetCommandName())" -like '*.exe') -or ($n.InvocationOperator -ne 'Unknown' -and $first -is [System.Management.Automation.Language.VariableExpressionAst])
        # Only a native command with stderr redirected needs the walk below (it searches every enclosing script block).
        if ($stderr.Count -eq 0 -or -not $native) { return $false }
        # The ErrorActionPreference in effect: the nearest enclosing script block (or function) that sets it; PowerShell's
        # default, Continue, when none does.
        $stop = $false
        for ($p = $n.Parent; $p; $p = $p.Parent) {
            if ($p -isnot [System.Management.Automation.Language.ScriptBlockAst]) { continue }
            $set = @($p.FindAll({ param($a) $a -is [System.Management.Automation.Language.AssignmentStatementAst] -and "$($a.Left)" -eq '$ErrorActionPreference' }, $false) |
                Where-Object { $_.Extent.StartOffset -lt $n.Extent.StartOffset })
            if ($set.Count -gt 0) { $stop = "$($set[-1].Right)" -match 'Stop'; break }
        }
        $stop
    }, $true)
    foreach ($n in $natives) { $problems.Add("${file}:$($n.Extent.StartLineNumber): a native command's stderr redirected, which Windows PowerShell 5.1 turns into a throw under ErrorActionPreference Stop; use Invoke-Native: $($n.Extent.Text)") }
    $lineNumber = 0
    foreach ($line in [System.IO.File]::ReadAllLines($file)) {
        $lineNumber++
        if ($line -match '[^\x00-\x7F]') { $problems.Add("${file}:${lineNumber}: non-ASCII text (Windows PowerShell 5.1 reads BOM-less files as ANSI)") }
    }
}
$problems
"$($Path.Count) checked, $($problems.Count) problem(s)"
exit [Math]::Min(100, $problems.Count)
