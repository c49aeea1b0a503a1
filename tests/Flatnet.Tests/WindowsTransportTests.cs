using Flatnet.Deploy;
using Flatnet.Rendering;

namespace Flatnet.Tests;

/// <summary>The exact commands flatnet sends to a Windows host, over a connection that records instead of sending.</summary>
public class WindowsTransportTests
{
    private sealed class RecordingConnection(Func<string, RemoteResult>? answer = null) : IHostConnection
    {
        public List<string> Log { get; } = [];
        public string Describe => "recording";
        public RemoteResult Run(string command, TimeSpan? timeout = null)
        {
            Log.Add("run " + command);
            return answer?.Invoke(command) ?? new RemoteResult(command, 0, "", "");
        }
        public void Upload(string localDirectory, string remoteDirectory) => Log.Add($"upload {Path.GetFileName(localDirectory)} -> {remoteDirectory}");
        public string ReadFile(string remotePath)
        {
            Log.Add("read " + remotePath);
            return "";
        }
        public LoopbackForward? ForwardLoopback(int remotePort) => null;
        public void Dispose() { }
    }

    private static HostModel HostB()
    {
        using var ws = new TestWorkspace();
        var plan = ws.ControlPlane().Plan();
        return HostModel.ForHost(plan, plan.Host("host-b"));
    }

    [Test]
    public void DeployToWindowsUploadsThroughSftpDriveNamesAndRunsInstallPs1()
    {
        var c = new RecordingConnection();
        HostOperations.Deploy(HostB(), "/tmp/bundle", c);
        Assert.That(c.Log, Is.EqualTo(new[]
        {
            "upload bundle -> /F:/flatnet/incoming/bundle",
            "run powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"F:\\flatnet\\incoming\\bundle\\install.ps1\"",
        }));
    }

    [Test]
    public void RoutingOnWindowsRunsWslRoutingInsideWslThenSetupRouting()
    {
        var c = new RecordingConnection();
        HostOperations.ConfigureRouting(HostB(), "wsl.exe -u root -e", c);
        Assert.That(c.Log, Is.EqualTo(new[]
        {
            "run wsl.exe -u root -e bash '/mnt/f/flatnet/scripts/wsl-routing.sh' --install-boot",
            "run powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"F:\\flatnet\\scripts\\setup-routing.ps1\"",
        }));
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
        var (ok, ms, _) = HostOperations.Ping(c, windows: true, null, "10.100.1.1");
        HostOperations.Ping(c, windows: true, "wsl.exe -u root -e", "10.101.1.1");
        Assert.That((ok, ms), Is.EqualTo((true, (double?)rtt)));
        // An encoded script: cmd.exe and CommandLineToArgvW, which Windows' OpenSSH puts in between, cannot re-split it.
        Assert.That(c.Log[0], Does.Match("^run powershell.exe -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/=]+$"));
        Assert.That(DecodedScript(c.Log[0]), Is.EqualTo(
            "$target = '10.100.1.1'; foreach ($i in 1..4) { ping.exe -n 1 -w 1000 $target; if ($LASTEXITCODE -eq 0) { exit 0 }; Start-Sleep -Milliseconds 500 }; exit 1"));
        Assert.That(c.Log[1], Is.EqualTo("run wsl.exe -u root -e sh -c 'for i in $(seq 4); do ping -c 1 -W 1 '\"'\"'10.101.1.1'\"'\"' && exit 0; sleep 0.5; done; exit 1'"));
    }

    /// <summary>What powershell.exe -EncodedCommand runs: base64 of the script's UTF-16LE bytes.</summary>
    private static string DecodedScript(string line) =>
        System.Text.Encoding.Unicode.GetString(Convert.FromBase64String(line[(line.LastIndexOf(' ') + 1)..]));

    [Test]
    public void WinRmScriptsAreExactAndStayWindowsPowerShell51()
    {
        var run = WinRmScripts.Run("192.168.1.12", 5985, @"HOST-B\admin", "powershell.exe -File \"F:\\flatnet\\x.ps1\"");
        Assert.That(run, Is.EqualTo(
            "$ErrorActionPreference = 'Stop'\n" +
            "$password = ConvertTo-SecureString -AsPlainText -Force -String $env:FLATNET_WINRM_PASSWORD\n" +
            "$credential = New-Object System.Management.Automation.PSCredential('HOST-B\\admin', $password)\n" +
            "$s = New-PSSession -ComputerName '192.168.1.12' -Port 5985 -Credential $credential\n" +
            "$r = Invoke-Command -Session $s -ArgumentList 'powershell.exe -File \"F:\\flatnet\\x.ps1\"' -ScriptBlock { param($line) $out = cmd.exe /c $line 2>&1; @{ Out = ($out | Out-String); Code = $LASTEXITCODE } }\n" +
            "Remove-PSSession $s\n" +
            "Write-Output $r.Out\n" +
            "exit $r.Code\n"));
        var upload = WinRmScripts.Upload("192.168.1.12", 5985, "admin", "/build/bundle", "F:/flatnet/incoming/bundle");
        Assert.That(upload, Does.Contain("Copy-Item -ToSession $s -Path (Join-Path '/build/bundle' '*') -Destination 'F:/flatnet/incoming/bundle' -Recurse -Force\n"));

        using var ws = new TestWorkspace();
        var files = new[] { ("run.ps1", run), ("upload.ps1", upload), ("read.ps1", WinRmScripts.ReadFile("h", 5985, "u", "F:/flatnet/logs/nebula.log")) }
            .Select(f => { var p = Path.Combine(ws.Root, f.Item1); File.WriteAllText(p, f.Item2); return p; }).ToList();
        var check = PowerShell.Command($"& {PowerShell.Quote(Path.Combine(PowerShell.TestsDirectory, "Test-PowerShell51.ps1"))} -Path @({string.Join(", ", files.Select(PowerShell.Quote))}); exit $LASTEXITCODE");
        Assert.That(check.StdOut, Does.Contain("3 checked, 0 problem(s)"), check.StdOut + check.StdErr);
    }

    [Test]
    public void WinRmFromLinuxSaysToUseSsh()
    {
        using var ws = new TestWorkspace();
        ws.Edit("host-b.yaml", "transport:", "  transport: winrm");
        var e = Assert.Throws<FlatnetException>(() => ws.ControlPlane().ConfigureRouting("host-b"))!;
        Assert.That(e.Message, Does.Contain("host-b.yaml: deploy.transport: winrm needs a Windows build machine").And.Contain("transport: ssh"));
    }
}
