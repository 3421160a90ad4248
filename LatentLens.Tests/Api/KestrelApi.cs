using System.Net.Sockets;
using System.Text;
using LatentLens.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.Tests.Api;

/// <summary>
/// The API on a real Kestrel server at 127.0.0.1 and an ephemeral port: the in-memory TestServer enforces
/// neither request body limits nor chunked framing, which is what hostile requests test.
/// </summary>
internal sealed class KestrelApiFactory : WebApplicationFactory<ApiEntryPoint>
{
    private readonly string _mlruns;

    public KestrelApiFactory(string mlruns)
    {
        _mlruns = mlruns;
        UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
    }

    /// <summary>Where the started server listens (http://127.0.0.1:port).</summary>
    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("LatentLens:MlrunsPath", _mlruns);
        builder.UseSetting("LatentLens:ReloadIntervalSeconds", "60");
    }
}

/// <summary>A response read off the socket: what Kestrel sent, framing removed.</summary>
internal sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? ContentType => Headers.GetValueOrDefault("content-type");
}

/// <summary>
/// HTTP/1.1 by hand over a socket: sends what HttpClient refuses to (raw paths, huge heads) and keeps
/// reading the answer while a large body is still being written, as a hostile client would.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line) and then the body writer's bytes.</summary>
    public static async Task<RawResponse> SendAsync(Uri server, string head, Func<Stream, CancellationToken, Task>? writeBody, CancellationToken cancellationToken, bool isHead = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, cancellationToken);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "\r\n\r\n"), cancellationToken);

        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = writeBody is null ? Task.CompletedTask : Task.Run(async () =>
        {
            try
            {
                await writeBody(stream, stopWriting.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The server answered and closed while the body was still going: that is the point.
            }
        }, CancellationToken.None);

        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        RawResponse? response = null;
        try
        {
            while (response is null)
            {
                var n = await stream.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, n));
                response = TryParse([.. received], isHead, complete: false);
            }
        }
        catch (IOException) when (received.Count > 0)
        {
            // A reset after the answer arrived.
        }

        await stopWriting.CancelAsync();
        await writing;
        return response ?? TryParse([.. received], isHead, complete: true)
            ?? throw new IOException($"No HTTP response; received {received.Count} bytes: {Encoding.ASCII.GetString([.. received])}");
    }

    /// <summary>Writes <paramref name="totalBytes"/> of JSON-looking filler in chunks of 64 KiB from one reused buffer (so the client allocates next to nothing).</summary>
    public static Func<Stream, CancellationToken, Task> ChunkedFiller(long totalBytes) => async (stream, ct) =>
    {
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)' ');
        chunk[0] = (byte)'{';
        var chunkHead = Encoding.ASCII.GetBytes($"{chunk.Length:X}\r\n");
        var crlf = "\r\n"u8.ToArray();
        for (long sent = 0; sent < totalBytes; sent += chunk.Length)
        {
            await stream.WriteAsync(chunkHead, ct);
            await stream.WriteAsync(chunk, ct);
            await stream.WriteAsync(crlf, ct);
            chunk[0] = (byte)' ';
        }

        await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), ct);
    };

    private static RawResponse? TryParse(byte[] data, bool isHead, bool complete)
    {
        var end = data.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return null;
        }

        var lines = Encoding.ASCII.GetString(data, 0, end).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var body = data.AsSpan(end + 4);
        if (isHead)
        {
            return new RawResponse(status, headers, string.Empty);
        }

        if (headers.TryGetValue("content-length", out var length))
        {
            var n = int.Parse(length, System.Globalization.CultureInfo.InvariantCulture);
            return body.Length >= n ? new RawResponse(status, headers, Encoding.UTF8.GetString(body[..n])) : null;
        }

        if (headers.GetValueOrDefault("transfer-encoding") == "chunked")
        {
            var text = new StringBuilder();
            while (true)
            {
                var lineEnd = body.IndexOf("\r\n"u8);
                if (lineEnd < 0)
                {
                    return null;
                }

                var size = Convert.ToInt32(Encoding.ASCII.GetString(body[..lineEnd]).Split(';')[0], 16);
                if (size == 0)
                {
                    return new RawResponse(status, headers, text.ToString());
                }

                if (body.Length < lineEnd + 2 + size + 2)
                {
                    return null;
                }

                text.Append(Encoding.UTF8.GetString(body.Slice(lineEnd + 2, size)));
                body = body[(lineEnd + 2 + size + 2)..];
            }
        }

        return complete ? new RawResponse(status, headers, Encoding.UTF8.GetString(body)) : null;
    }
}
