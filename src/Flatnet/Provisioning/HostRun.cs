using Flatnet.Addressing;
using Flatnet.Rendering;
using Flatnet.Transport;

namespace Flatnet.Provisioning;

/// <summary>
/// One host in one run: its model, made once from the plan the run reads, and its one connection, opened when a
/// step first needs it and kept for every later step (certify, install, route, is-current, verify), then closed when
/// the run ends. A connection that could not be opened is not kept: the next step asks again.
/// </summary>
public sealed class HostRun(string name, Func<HostAddresses, HostModel> makeModel, Func<HostAddresses, IHostConnection> open) : IDisposable
{
    private readonly Lock _gate = new();
    private (HostAddresses Of, HostModel Model)? _model;
    private IHostConnection? _connection;

    public string Name => name;

    /// <summary>How many connections this run opened to the host (one, however many steps used it).</summary>
    public int ConnectionsOpened { get; private set; }

    /// <summary>The host's model, made from these addresses once (again only when the plan was read again).</summary>
    public HostModel Model(HostAddresses host)
    {
        lock (_gate)
        {
            if (_model is { } made && ReferenceEquals(made.Of, host)) return made.Model;
            var model = makeModel(host);
            _model = (host, model);
            return model;
        }
    }

    /// <summary>The host's connection, opened on first use and owned by the run: steps use it and never close it.</summary>
    public IHostConnection Connection(HostAddresses host)
    {
        lock (_gate)
        {
            if (_connection is not null) return _connection;
            _connection = open(host);
            ConnectionsOpened++;
            return _connection;
        }
    }

    /// <summary>The inventory was read again: the model is made anew on next use; the connection stays.</summary>
    public void Forget()
    {
        lock (_gate) _model = null;
    }

    /// <summary>The run is over: its connection closes (a later run opens its own).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _connection?.Dispose();
            _connection = null;
        }
    }
}
