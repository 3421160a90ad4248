using System.Net;
using System.Net.Sockets;

namespace LatentLens.Tests;

internal static class TestPorts
{
    /// <summary>A loopback port free now (the OS picks it); a server the test starts binds it next.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
