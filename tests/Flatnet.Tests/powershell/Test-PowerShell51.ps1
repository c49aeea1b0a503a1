# Fails on PowerShell 7-only syntax, so generated scripts keep running under Windows PowerShell 5.1:
# pipeline chains (&&, ||), ternaries, ?? and ??=, ?. and ?[], and non-ASCII text (5.1 reads BOM-less files as ANSI).
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
    $lineNumber = 0
    foreach ($line in [System.IO.File]::ReadAllLines($file)) {
        $lineNumber++
        if ($line -match '[^\x00-\x7F]') { $problems.Add("${file}:${lineNumber}: non-ASCII text (Windows PowerShell 5.1 reads BOM-less files as ANSI)") }
    }
}
$problems
"$($Path.Count) checked, $($problems.Count) problem(s)"
exit [Math]::Min(100, $problems.Count)
