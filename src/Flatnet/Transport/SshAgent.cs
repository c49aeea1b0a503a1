using System.Buffers.Binary;
using System.IO.Pipes;
using System.Net.Sockets;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Security;
using Renci.SshNet.Security.Cryptography;

namespace Flatnet.Transport;

/// <summary>
/// The keys an ssh-agent holds, as SSH.NET key sources whose signatures the agent makes (the private keys never
/// leave it). The agent protocol (draft-miller-ssh-agent): REQUEST_IDENTITIES (11) answered by IDENTITIES_ANSWER
/// (12), SIGN_REQUEST (13) answered by SIGN_RESPONSE (14). The agent is SSH_AUTH_SOCK's socket, or on Windows
/// OpenSSH's pipe \\.\pipe\openssh-ssh-agent. ed25519 and RSA keys (signed as rsa-sha2-256) are used.
/// </summary>
public sealed class SshAgent(string endpoint)
{
    private const byte RequestIdentities = 11, IdentitiesAnswer = 12, SignRequest = 13, SignResponse = 14;
    private const uint RsaSha2256 = 2;

    public string Endpoint => endpoint;

    /// <summary>The agent this process would use, or null when there is none to ask.</summary>
    public static SshAgent? FromEnvironment() =>
        Environment.GetEnvironmentVariable("SSH_AUTH_SOCK") is { Length: > 0 } socket ? new SshAgent(socket)
        : OperatingSystem.IsWindows() ? new SshAgent(@"\\.\pipe\openssh-ssh-agent") : null;

    /// <summary>Its keys flatnet can use; none when the agent does not answer (as ssh, which then goes on without it).</summary>
    public IReadOnlyList<IPrivateKeySource> Keys()
    {
        byte[] answer;
        try
        {
            answer = Ask([RequestIdentities]);
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException or UnauthorizedAccessException)
        {
            return [];
        }
        if (answer.Length < 5 || answer[0] != IdentitiesAnswer) return [];
        var reader = new Reader(answer, 1);
        var count = reader.UInt32();
        var keys = new List<IPrivateKeySource>();
        for (var i = 0; i < count; i++)
        {
            var blob = reader.Bytes();
            _ = reader.Bytes(); // comment
            var type = Encoding.ASCII.GetString(new Reader(blob, 0).Bytes());
            if (type == "ssh-ed25519")
                keys.Add(new AgentKey(new KeyHostAlgorithm("ssh-ed25519", new ED25519Key(new SshKeyData(blob)), new AgentSignature(this, blob, 0))));
            else if (type == "ssh-rsa")
                keys.Add(new AgentKey(new KeyHostAlgorithm("rsa-sha2-256", new RsaKey(new SshKeyData(blob)), new AgentSignature(this, blob, RsaSha2256))));
        }
        return keys;
    }

    /// <summary>The agent's signature of <paramref name="data"/> with the key <paramref name="blob"/>: the raw signature, without its algorithm name.</summary>
    internal byte[] Sign(byte[] blob, byte[] data, uint flags)
    {
        var request = new List<byte> { SignRequest };
        request.AddRange(String(blob));
        request.AddRange(String(data));
        request.AddRange(UInt32(flags));
        var answer = Ask([.. request]);
        if (answer.Length == 0 || answer[0] != SignResponse)
            throw new FlatnetException($"the ssh-agent at {endpoint} refused to sign with one of its keys",
                fix: "unlock the agent (ssh-add -X) or confirm the key's use, or name a key file in deploy.identity");
        var signature = new Reader(new Reader(answer, 1).Bytes(), 0);
        _ = signature.Bytes(); // the algorithm's name
        return signature.Bytes();
    }

    private byte[] Ask(byte[] message)
    {
        using var stream = Connect();
        stream.WriteTimeout = stream.ReadTimeout = 10_000;
        stream.Write([.. UInt32((uint)message.Length), .. message]);
        var length = new byte[4];
        stream.ReadExactly(length);
        var answer = new byte[BinaryPrimitives.ReadUInt32BigEndian(length)];
        stream.ReadExactly(answer);
        return answer;
    }

    private Stream Connect()
    {
        if (endpoint.StartsWith(@"\\.\pipe\", StringComparison.Ordinal))
        {
            var pipe = new NamedPipeClientStream(".", endpoint[9..], PipeDirection.InOut);
            pipe.Connect(2000);
            return pipe;
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(endpoint));
        return new NetworkStream(socket, ownsSocket: true);
    }

    private static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] String(byte[] value) => [.. UInt32((uint)value.Length), .. value];

    /// <summary>Reads the agent protocol's uint32 and string (length-prefixed bytes) fields.</summary>
    private sealed class Reader(byte[] data, int offset)
    {
        public uint UInt32()
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset, 4));
            offset += 4;
            return value;
        }

        public byte[] Bytes()
        {
            var length = (int)UInt32();
            var value = data.AsSpan(offset, length).ToArray();
            offset += length;
            return value;
        }
    }

    private sealed class AgentKey(HostAlgorithm algorithm) : IPrivateKeySource
    {
        public IReadOnlyCollection<HostAlgorithm> HostKeyAlgorithms { get; } = [algorithm];
    }

    /// <summary>A signature the agent makes; checking one is the server's business, never done here.</summary>
    private sealed class AgentSignature(SshAgent agent, byte[] blob, uint flags) : DigitalSignature
    {
        public override byte[] Sign(byte[] input) => agent.Sign(blob, input, flags);

        public override bool Verify(byte[] input, byte[] signature) => throw new InvalidOperationException("an agent's key only signs");
    }
}
