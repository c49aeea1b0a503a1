using Flatnet.Transport;
using Flatnet.Rendering;
using Flatnet.Tools;

namespace Flatnet.Tests;

/// <summary>The exact commands flatnet sends to a Windows host, over a connection that records instead of sending.</summary>
public class WindowsTransportTests
{
    private static HostModel HostB()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Context.Plan;
        return TestWorkspace.Platforms.Model(plan, plan.Host("host-b"));
    }

    private static global::Flatnet.Platforms.WindowsPlatform Windows => TestWorkspace.Platforms.Windows;

    private static readonly WinRmScripts WinRm = new(new global::Flatnet.Rendering.TemplateRenderer(Path.Combine(TestWorkspace.RepoRoot, "templates")));

    /// <summary>Every script reaches a Windows host as a file in the account's own folder, run by a command line of one short shape.</summary>
    private const string RunsFile = @"^run powershell\.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File ""C:\\Users\\flatnet\\\.flatnet\\run\\[0-9a-f]{32}\.ps1""$";

    private static string RunsScriptFile(string path) =>
        $"try {{ & '{path}' }} catch {{ [Console]::Error.WriteLine($_.ToString()); exit 1 }}\n" +
        "if (-not $?) { if ($LASTEXITCODE) { exit $LASTEXITCODE } else { exit 1 } }\nexit 0";

    [Test]
    public void DeployToWindowsUploadsThroughSftpDriveNamesAndRunsInstallPs1()
    {
        var c = new RecordingConnection();
        Windows.Deploy(HostB(), "/tmp/bundle", c);
        // First the root made right and incoming\ Administrators and SYSTEM only: the bundle holds host.key.
        Assert.That(c.Log[0], Does.Match(RunsFile));
        Assert.That(c.ScriptOf(c.Log[0]), Does.Contain("$Root = 'F:\\flatnet'").And.Contain("Protect-InstallRoot").And.Contain("New-AdminOnlyFolder $incoming"));
        Assert.That(c.Log[1], Is.EqualTo("upload bundle -> /F:/flatnet/incoming/bundle"));
        Assert.That(c.Log[2], Does.Match(RunsFile));
        Assert.That(c.ScriptOf(c.Log[2]), Is.EqualTo(RunsScriptFile(@"F:\flatnet\incoming\bundle\install.ps1")));
        Assert.That(c.Log, Has.Count.EqualTo(3));
    }

    [Test]
    public void RoutingOnWindowsRunsWslRoutingInsideWslThenSetupRouting()
    {
        var c = new RecordingConnection();
        Windows.ConfigureRouting(HostB(), c);
        Assert.That(c.Log, Has.Count.EqualTo(2).And.All.Match(RunsFile));
        Assert.That(WslScript(c.ScriptOf(c.Log[0]), "wsl.exe -u root -e"), Is.EqualTo("bash '/mnt/f/flatnet/scripts/wsl-routing.sh' --install-boot"));
        Assert.That(c.ScriptOf(c.Log[1]), Is.EqualTo(RunsScriptFile(@"F:\flatnet\scripts\setup-routing.ps1")));
    }

    /// <summary>
    /// The shell script a WSL command carries: the PowerShell line is `&amp; 'wsl.exe' '-u' 'root' '-e' 'sh' '-c' 'echo B64 | base64 -d | sh'`;
    /// Windows PowerShell 5.1 joins those arguments, wsl.exe splits them again, and sh decodes the script.
    /// </summary>
    private static string WslScript(string powershell, string wslCommand)
    {
        var line = WindowsCommandLine.AsWslOwnerInner(powershell).Split('\n')[0];
        Assert.That(line, Does.StartWith("& "));
        var arguments = System.Text.RegularExpressions.Regex.Matches(line, "'((?:[^']|'')*)'").Select(m => m.Groups[1].Value.Replace("''", "'")).ToList();
        var expected = wslCommand.Split(' ').Concat(new[] { "sh", "-c" }).ToList();
        Assert.That(arguments.Take(expected.Count), Is.EqualTo(expected));
        // What wsl.exe receives after PowerShell 5.1 joined the arguments, split as CommandLineToArgvW splits it.
        var received = WindowsCommandLine.CommandLineToArgv(WindowsCommandLine.PowerShell51Join(arguments.Skip(1)));
        Assert.That(received, Is.EqualTo(arguments.Skip(1)), "wsl.exe receives the arguments as PowerShell was given them");
        var carried = arguments.Last();
        Assert.That(carried, Does.Match("^echo [A-Za-z0-9+/=]+ [|] base64 -d [|] sh$"));
        // The real sh decodes it: what runs inside WSL is the script, byte for byte.
        return ProcessRunner.Run("sh", ["-c", carried[..carried.LastIndexOf(" | sh", StringComparison.Ordinal)]]).EnsureSuccess("sh").StdOut;
    }

    // Windows' ping speaks the system's language; only "=" or "<" before "Nms" is common (a Japanese Windows prints 時間).
    [TestCase("Reply from 10.100.1.1: bytes=32 time<1ms TTL=128", 1.0)]
    [TestCase("Reply from 10.100.1.1: bytes=32 time=3ms TTL=128", 3.0)]
    [TestCase("10.100.1.1 からの応答: バイト数 =32 時間 =3ms TTL=128", 3.0)]
    [TestCase("10.100.1.1 からの応答: バイト数 =32 時間 <1ms TTL=128", 1.0)]
    [TestCase("Antwort von 10.100.1.1: Bytes=32 Zeit=12ms TTL=128", 12.0)]
    [TestCase("64 bytes from 10.100.1.1: icmp_seq=1 ttl=64 time=0.386 ms", 0.386)]
    public void PingsFromWindowsAndFromItsWslAreSpelledForEach(string reply, double rtt)
    {
        var c = new RecordingConnection(cmd => new RemoteResult(cmd, 0, reply, ""));
        var (ok, ms, _) = Windows.Ping(c, HostB(), fromWsl: false, "10.100.1.1");
        Windows.Ping(c, HostB(), fromWsl: true, "10.101.1.1");
        Assert.That((ok, ms), Is.EqualTo((true, (double?)rtt)));
        // An encoded script: cmd.exe and CommandLineToArgvW, which Windows' OpenSSH puts in between, cannot re-split it.
        Assert.That(c.Log, Has.All.Match(RunsFile));
        Assert.That(c.ScriptOf(c.Log[0]), Is.EqualTo(
            "$target = '10.100.1.1'; foreach ($i in 1..4) { ping.exe -n 1 -w 1000 $target; if ($LASTEXITCODE -eq 0) { exit 0 }; Start-Sleep -Milliseconds 500 }; exit 1"));
        Assert.That(WslScript(c.ScriptOf(c.Log[1]), "wsl.exe -u root -e"),
            Is.EqualTo("for i in $(seq 4); do ping -c 1 -W 1 '10.101.1.1' && exit 0; sleep 0.5; done; exit 1"));
    }

    /// <summary>
    /// Every command flatnet sends to a Windows host, for a root with spaces: cmd.exe passes it on unchanged and
    /// powershell.exe receives exactly its seven words, the last the script file.
    /// </summary>
    [Test]
    public void NoWindowsCommandCanBeChangedByCmdExeOrCommandLineToArgvW()
    {
        using var ws = new TestWorkspace();
        File.WriteAllText(ws.HostsFile("network.yaml"), File.ReadAllText(ws.HostsFile("network.yaml"))
            .Replace(@"    root: 'F:\flatnet'", @"    root: 'F:\Program Files\flat net'"));
        var plan = ws.ControlPlane().Context.Plan;
        var host = plan.Host("host-b");
        var model = TestWorkspace.Platforms.Model(plan, host);
        Assert.That(model.Paths.Root, Is.EqualTo("F:/Program Files/flat net"));
        var c = new RecordingConnection();
        Windows.Deploy(model, "/tmp/bundle", c);
        Windows.ConfigureRouting(model, c);
        Windows.Ping(c, model, fromWsl: false, "10.100.1.1");
        Windows.Ping(c, model, fromWsl: true, "10.101.1.1");
        Windows.InstalledNebula(model, c);
        Windows.NebulaState(model, c);
        Windows.RecordInstalled(model, c);
        Windows.MakeKeyPair(model, c);
        var commands = c.CommandLines.ToList();
        Assert.That(commands, Has.Count.EqualTo(10));
        foreach (var command in commands)
        {
            Assert.That(WindowsCommandLine.CmdExeChanges(command), Is.Null, command);
            Assert.That(WindowsCommandLine.CommandLineToArgv(command),
                Is.EqualTo(new[] { "powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", WindowsCommandLine.ScriptFileOf(command) }));
        }
        Assert.That(c.ScriptOf(commands[1]), Does.Contain(@"& 'F:\Program Files\flat net\incoming\bundle\install.ps1'"));
        Assert.That(WslScript(c.ScriptOf(commands[2]), model.WslCommand), Is.EqualTo("bash '/mnt/f/Program Files/flat net/scripts/wsl-routing.sh' --install-boot"));
    }

    // learn.microsoft.com/cpp/cpp/main-function-command-line-args, "Results of parsing command lines".
    [TestCase(@"""a b c"" d e", new[] { "a b c", "d", "e" })]
    [TestCase(@"""ab\""c"" ""\\"" d", new[] { @"ab""c", @"\", "d" })]
    [TestCase(@"a\\\b d""e f""g h", new[] { @"a\\\b", "de fg", "h" })]
    [TestCase(@"a\\\""b c d", new[] { @"a\""b", "c", "d" })]
    [TestCase(@"a\\\\""b c"" d e", new[] { @"a\\b c", "d", "e" })]
    public void TheCommandLineModelFollowsMicrosoftsDocumentedExamples(string line, string[] expected)
    {
        Assert.That(WindowsCommandLine.CommandLineToArgv(line), Is.EqualTo(expected));
    }

    [Test]
    [Category("Windows")]
    public void WinRmScriptsAreExactAndStayWindowsPowerShell51()
    {
        const string pin = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
        var https = new WinRmTarget("192.168.1.12", 5986, @"HOST-B\admin", pin);
        var run = WinRm.Run(https, "powershell.exe -NoProfile -EncodedCommand QQA=");
        // The session carrying the credentials checks the certificate itself: nothing skips the CA or the name.
        Assert.That(run, Does.Not.Contain("SkipCACheck").And.Not.Contain("SkipCNCheck"));
        Assert.That(run, Is.EqualTo(
            "$ErrorActionPreference = 'Stop'\n" +
            "$tcp = New-Object System.Net.Sockets.TcpClient('192.168.1.12', 5986)\n" +
            "$seen = @{}\n" +
            "$tls = New-Object System.Net.Security.SslStream($tcp.GetStream(), $false, [System.Net.Security.RemoteCertificateValidationCallback]{ param($sender, $certificate, $chain, $errors) $seen.Certificate = $certificate; $true })\n" +
            "$tls.AuthenticateAsClient('192.168.1.12')\n" +
            "$hash = -join ([System.Security.Cryptography.SHA256]::Create().ComputeHash($seen.Certificate.GetRawCertData()) | ForEach-Object { $_.ToString('x2') })\n" +
            "$tls.Dispose(); $tcp.Dispose()\n" +
            $"if ($hash -ne '{pin}') {{ throw \"192.168.1.12:5986 presented certificate $hash, not the pinned {pin}: refusing to connect\" }}\n" +
            "$password = ConvertTo-SecureString -AsPlainText -Force -String $env:FLATNET_WINRM_PASSWORD\n" +
            "$credential = New-Object System.Management.Automation.PSCredential('HOST-B\\admin', $password)\n" +
            "try {\n" +
            "    $s = New-PSSession -ComputerName '192.168.1.12' -Port 5986 -UseSSL -Credential $credential\n" +
            "} catch {\n" +
            "    throw \"no WinRM session to 192.168.1.12:5986: $($_.Exception.Message) (when it is about the certificate: import the listener's certificate, the one pinned, into this account's Trusted Root Certification Authorities and connect by the name it carries; docs/add-host.en.md, WinRM over HTTPS)\"\n" +
            "}\n" +
            "$r = Invoke-Command -Session $s -ArgumentList 'powershell.exe -NoProfile -EncodedCommand QQA=' -ScriptBlock { param($line) $ErrorActionPreference = 'Continue'; $out = cmd.exe /c $line 2>&1; @{ Out = ($out | Out-String); Code = $LASTEXITCODE } }\n" +
            "Remove-PSSession $s\n" +
            "Write-Output $r.Out\n" +
            "exit $r.Code\n"));
        var http = new WinRmTarget("192.168.1.12", 5985, "admin", null);
        var upload = WinRm.Upload(http, "/build/bundle", "F:/flatnet/incoming/bundle");
        Assert.That(upload, Does.Contain("$s = New-PSSession -ComputerName '192.168.1.12' -Port 5985 -Credential $credential\n").And.Not.Contain("SslStream"));
        Assert.That(upload, Does.Contain("Copy-Item -ToSession $s -Path (Join-Path '/build/bundle' '*') -Destination 'F:/flatnet/incoming/bundle' -Recurse -Force\n"));

        using var ws = new TestWorkspace();
        var files = new[] { ("run.ps1", run), ("upload.ps1", upload), ("read.ps1", WinRm.ReadFile(https, "F:/flatnet/logs/nebula.log")) }
            .Select(f => { var p = Path.Combine(ws.Root, f.Item1); File.WriteAllText(p, f.Item2); return p; }).ToList();
        var check = PowerShell.Command($"& {PowerShell.Quote(Path.Combine(PowerShell.TestsDirectory, "Test-PowerShell51.ps1"))} -Path @({string.Join(", ", files.Select(PowerShell.Quote))}); exit $LASTEXITCODE");
        Assert.That(check.StdOut, Does.Contain("3 checked, 0 problem(s)"), check.StdOut + check.StdErr);
    }

    /// <summary>
    /// Status's last handshakes on a Windows host whose Nebula is its own service: Nebula sends each log entry's text
    /// line to the Application event log, source "nebula" (slackhq/nebula cmd/nebula-service/logs_windows.go: HookLogger
    /// hands entry.String() to kardianos/service's Windows logger). The decoded script runs under pwsh with
    /// Get-WinEvent stubbed to answer as Windows does (newest first, one record per entry, the line in .Message).
    /// </summary>
    [Test]
    [Category("Windows")]
    public void LastHandshakesOnWindowsComeFromTheApplicationEventLog()
    {
        var c = new RecordingConnection();
        Windows.HandshakeLines(HostB(), c);
        Assert.That(c.Log, Has.Count.EqualTo(1).And.All.Match(RunsFile));
        var script = c.ScriptOf(c.Log[0]);
        var log = File.ReadAllLines(Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "fixtures", "nebula-log", "1.11.0-host-a.log"));
        var stub = "function Get-WinEvent { param($FilterHashtable, $MaxEvents, $ErrorAction) " +
                   "if ($FilterHashtable.LogName -ne 'Application' -or $FilterHashtable.ProviderName -ne 'nebula') { throw 'not the log Nebula writes to' }; " +
                   "$lines = @(" + string.Join(", ", log.Reverse().Select(PowerShell.Quote)) + "); " +
                   "$lines | ForEach-Object { [pscustomobject]@{ Message = $_ } } }\n";
        var run = PowerShell.Command(stub + script);
        var lines = run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.That(lines, Has.Count.EqualTo(log.Count(l => l.Contains("Handshake message received"))).And.All.Contains("Handshake message received"), run.StdErr);
        Assert.That(Flatnet.Verification.HandshakeLog.LastByPeer(run.StdOut)["10.100.2.1"], Is.EqualTo(DateTimeOffset.Parse("2026-11-26T00:21:32.330Z")));
    }

    /// <summary>
    /// The same with service: nssm: NSSM writes the console output of the program it runs into the file AppStdout names
    /// (install.ps1 sets logs\nebula.log), so the lines are read from the end of that file. Get-Content is stubbed to
    /// answer with the file's lines as Windows would read them.
    /// </summary>
    [Test]
    [Category("Windows")]
    public void WithNssmTheLastHandshakesComeFromTheLogFile()
    {
        using var ws = new TestWorkspace();
        ws.Edit("network.yaml", "service:", "    service: nssm");
        var plan = ws.ControlPlane().Context.Plan;
        var c = new RecordingConnection();
        Windows.HandshakeLines(TestWorkspace.Platforms.Model(plan, plan.Host("host-b")), c);
        var script = c.Scripts.Single();
        var log = File.ReadAllLines(Path.Combine(TestWorkspace.RepoRoot, "tests", "Flatnet.Tests", "fixtures", "nebula-log", "1.6.1-lighthouse.log"));
        var stub = "function Get-Content { param($Tail, $LiteralPath, $ErrorAction) " +
                   "if ($LiteralPath -ne 'F:\\flatnet\\logs\\nebula.log') { throw \"not the log NSSM writes: $LiteralPath\" }; " +
                   "@(" + string.Join(", ", log.Select(PowerShell.Quote)) + ") | Select-Object -Last $Tail }\n";
        var run = PowerShell.Command(stub + script);
        Assert.That(run.StdErr, Is.Empty);
        Assert.That(Flatnet.Verification.HandshakeLog.LastByPeer(run.StdOut)["10.100.1.1"], Is.EqualTo(DateTimeOffset.Parse("2026-11-26T00:21:20Z")));
    }

    [Test]
    public void WinRmIsHttpsWithAPinnedCertificateUnlessTheInventoryAsksForHttp()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-b.yaml", "transport:", "  transport: winrm");
        var e = Assert.Throws<InventoryProblem>(() => _ = ws.ControlPlane().Context.Plan)!;
        Assert.That(e.Message, Does.Contain("host-b.yaml: line").And.Contain("deploy.winrm_cert: WinRM over HTTPS needs the host's certificate pinned"));

        ws.Edit("host-b.yaml", "transport:", "  transport: winrm\n  winrm_http: true");
        var control = ws.ControlPlane();
        Assert.That(control.Context.Plan.Host("host-b").Host.Deploy.Port, Is.EqualTo(5985));
        Assert.That(ws.Log.Lines, Has.Some.Contains("deploy.winrm_http: WinRM over plain HTTP: nothing proves that the machine answering is the host"));

        ws.Edit("host-b.yaml", "winrm_http:", $"  winrm_cert: {new string('A', 64)}");
        var pinned = ws.ControlPlane().Context.Plan.Host("host-b").Host.Deploy;
        Assert.That((pinned.Port, pinned.WinRmCertificate), Is.EqualTo((5986, new string('a', 64))));
    }

    [Test]
    public void TheWslCommandUsesTheDistroThatSetupRoutingUses()
    {
        using var ws = new TestWorkspace();
        Assert.That(HostB().WslCommand, Is.EqualTo("wsl.exe -u root -e"));
        ws.Edit("network.yaml", "service:", "    service: nebula\n    wsl_distro: Ubuntu-24.04");
        var plan = ws.ControlPlane().Context.Plan;
        var model = TestWorkspace.Platforms.Model(plan, plan.Host("host-b"));
        Assert.That(model.WslCommand, Is.EqualTo("wsl.exe -d Ubuntu-24.04 -u root -e"));
        var c = new RecordingConnection();
        Windows.Ping(c, model, fromWsl: true, "10.101.1.1");
        Assert.That(WindowsCommandLine.AsWslOwnerInner(c.ScriptOf(c.Log[0])), Does.StartWith("& 'wsl.exe' '-d' 'Ubuntu-24.04' '-u' 'root' '-e' 'sh' '-c' 'echo "));
    }

    [Test]
    public void WinRmFromLinuxSaysToUseSsh()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-b.yaml", "transport:", "  transport: winrm\n  winrm_http: true");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().ConfigureRouting("host-b"))!;
        Assert.That(e.Message, Does.Contain("host-b.yaml: deploy.transport: winrm needs a Windows build machine").And.Contain("transport: ssh"));
    }
}

/// <summary>
/// What Windows' OpenSSH hands back from powershell.exe -EncodedCommand without a console: error and progress records
/// as CLIXML on stderr (PowerShell issue 16678, "CLIXML output on stderr when running with -EncodedCommand").
/// </summary>
public class ClixmlTests
{
    [Test]
    public void AnErrorWrittenAsClixmlReadsAsItsOwnWords()
    {
        const string stderr = "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">" +
                              "<Obj S=\"progress\" RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N=\"SourceId\">1</I64></MS></Obj>" +
                              "<S S=\"Error\">install.ps1 (host-b): the new bundle did not run_x000D__x000A_</S>" +
                              "<S S=\"Error\">At line:1 char:1_x000D__x000A_</S></Objs>";
        Assert.That(Flatnet.Transport.Clixml.Plain(stderr), Is.EqualTo("install.ps1 (host-b): the new bundle did not run\nAt line:1 char:1\n"));
    }

    [TestCase("")]
    [TestCase("plain text from a Linux host\n")]
    [TestCase("#< CLIXML\r\n<Objs broken")]
    public void AnythingElseIsLeftAsItCame(string stderr)
    {
        Assert.That(Flatnet.Transport.Clixml.Plain(stderr), Is.EqualTo(stderr));
    }
}
