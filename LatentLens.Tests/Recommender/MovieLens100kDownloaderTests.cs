using System.IO.Compression;
using LatentLens.Api.Recommender.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.Tests.Recommender;

/// <summary>The download path against a real HTTP server on 127.0.0.1 serving zips the test builds.</summary>
public sealed class MovieLens100kDownloaderTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _cache = TestPaths.NewTempFolder();
    private WebApplication _server = null!;
    private Uri _base = null!;
    private int _requests;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapGet("/good.zip", (HttpContext c) => Serve(c, Zip(RealUData())));
        _server.MapGet("/wrong.zip", (HttpContext c) => Serve(c, Zip("1\t1\t5\t874965758\n"u8.ToArray())));
        _server.MapGet("/not-a.zip", (HttpContext c) => Serve(c, "this is not a zip"u8.ToArray()));
        _server.MapGet("/truncated.zip", async (HttpContext c) =>
        {
            Interlocked.Increment(ref _requests);
            var zip = Zip(RealUData());
            c.Response.ContentLength = zip.Length;
            await c.Response.Body.WriteAsync(zip.AsMemory(0, zip.Length / 2));
            await c.Response.Body.FlushAsync();
            c.Abort();
        });
        _server.MapGet("/missing.zip", () => Results.NotFound());
        await _server.StartAsync();
        var address = _server.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        _base = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        await _server.DisposeAsync();
        Directory.Delete(_cache, recursive: true);
    }

    private Task Serve(HttpContext context, byte[] body)
    {
        Interlocked.Increment(ref _requests);
        context.Response.ContentType = "application/zip";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    private static byte[] RealUData() =>
        File.Exists(Path.Combine(TestPaths.MovieLens100k, "u.data"))
            ? File.ReadAllBytes(Path.Combine(TestPaths.MovieLens100k, "u.data"))
            : [];

    private static byte[] Zip(byte[] uData)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var entry = zip.CreateEntry("ml-100k/u.data").Open())
            {
                entry.Write(uData);
            }

            using var item = zip.CreateEntry("ml-100k/u.item").Open();
            item.Write("1|Toy Story (1995)|01-Jan-1995||http://x|0\n"u8);
        }

        return buffer.ToArray();
    }

    private MovieLens100kDownloader Downloader(HttpClient http, string path) => new(http, new Uri(_base, path), _cache);

    /// <summary>Nothing but the finished folder (if any) may be left in the cache.</summary>
    private void AssertCacheHoldsNoPartialFiles()
    {
        var leftovers = Directory.EnumerateFileSystemEntries(_cache).Select(Path.GetFileName).Where(n => n != MovieLens100kDownloader.FolderName);
        Assert.Empty(leftovers);
    }

    [RequiresMovieLens100kFact]
    public async Task FirstUseDownloadsChecksAndCachesThenReusesTheCache()
    {
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);

        var folder = await Downloader(http, "good.zip").EnsureAsync(null, cts.Token);
        var again = await Downloader(http, "good.zip").EnsureAsync(null, cts.Token);

        Assert.Equal(Path.Combine(_cache, "ml-100k"), folder);
        Assert.Equal(folder, again);
        Assert.Equal(1, _requests);
        Assert.Equal(100_000, RatingReaders.ReadMovieLens100k(folder).Ratings.Count);
        AssertCacheHoldsNoPartialFiles();
    }

    [Fact]
    public async Task WrongChecksumIsAClearErrorAndLeavesNothingInTheCache()
    {
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);

        var error = await Assert.ThrowsAsync<DataFormatException>(() => Downloader(http, "wrong.zip").EnsureAsync(null, cts.Token));

        Assert.Contains("does not have the expected sha256", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cache));
    }

    [Fact]
    public async Task TruncatedDownloadIsAClearErrorAndLeavesNothingInTheCache()
    {
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);

        var error = await Assert.ThrowsAsync<DataFormatException>(() => Downloader(http, "truncated.zip").EnsureAsync(null, cts.Token));

        Assert.Matches("broke off|truncated", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cache));
    }

    [Theory]
    [InlineData("not-a.zip", "not a readable zip")]
    [InlineData("missing.zip", "HTTP 404")]
    public async Task UnusableDownloadsAreClearErrors(string path, string expected)
    {
        using var http = new HttpClient();
        using var cts = new CancellationTokenSource(Timeout);

        var error = await Assert.ThrowsAsync<DataFormatException>(() => Downloader(http, path).EnsureAsync(null, cts.Token));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cache));
    }
}
