using System.Net;
using System.Net.Sockets;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>
/// A TCP proxy on a free 127.0.0.1 port in front of a real server. <see cref="GoDark"/> turns it into a server that
/// hangs: open connections are cut and new ones are accepted but never answered, as a wedged server or a dropped
/// route looks to a client (which then waits for its time-outs). Disposing closes everything.
/// </summary>
internal sealed class BlackHoleProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Uri _upstream;
    private volatile bool _dark;

    public BlackHoleProxy(Uri upstream)
    {
        _upstream = upstream;
        _listener.Start();
        Uri = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _ = AcceptAsync();
    }

    public Uri Uri { get; }

    public void GoDark()
    {
        _dark = true;
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Dispose();
            }

            _open.Clear();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        GoDark();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_open)
            {
                _open.Add(client);
            }

            if (!_dark)
            {
                _ = ForwardAsync(client);
            }
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_upstream.Host, _upstream.Port, _stop.Token);
            lock (_open)
            {
                _open.Add(upstream);
            }

            var down = client.GetStream();
            var up = upstream.GetStream();
            await Task.WhenAny(down.CopyToAsync(up, _stop.Token), up.CopyToAsync(down, _stop.Token));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A side closed, or the proxy went dark.
        }
        finally
        {
            client.Dispose();
        }
    }
}
