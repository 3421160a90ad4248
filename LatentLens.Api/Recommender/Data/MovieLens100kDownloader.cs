using System.IO.Compression;
using System.Security.Cryptography;

namespace LatentLens.Api.Recommender.Data;

/// <summary>
/// Brings MovieLens 100K into a local cache on first use: its terms forbid redistribution, so the
/// repository never holds it. The download is checked (length, zip, sha256 of <c>u.data</c>) in a
/// temporary folder and only then moved into place, so the cache never holds half a data set.
/// </summary>
internal sealed class MovieLens100kDownloader(HttpClient http, Uri url, string cacheRoot)
{
    public static readonly Uri OfficialUrl = new("https://files.grouplens.org/datasets/movielens/ml-100k.zip");

    /// <summary>sha256 of the published <c>u.data</c>.</summary>
    public const string UDataSha256 = "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490";

    public const string FolderName = "ml-100k";

    /// <summary>The cache folder: <c>LATENTLENS_CACHE</c>, else <c>$XDG_CACHE_HOME/latentlens</c>, else <c>~/.cache/latentlens</c>.</summary>
    public static string DefaultCacheRoot()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("LATENTLENS_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitRoot))
        {
            return explicitRoot;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "latentlens");
    }

    /// <summary>Returns the folder holding <c>u.data</c>, <c>u.item</c> and the splits, downloading it when the cache lacks a good copy.</summary>
    public async Task<string> EnsureAsync(Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var target = Path.Combine(cacheRoot, FolderName);
        if (File.Exists(Path.Combine(target, "u.data")))
        {
            if (await HasExpectedDigestAsync(Path.Combine(target, "u.data"), cancellationToken))
            {
                return target;
            }

            log?.Invoke($"The cached {target}/u.data does not match its sha256; downloading it again.");
            Directory.Delete(target, recursive: true);
        }

        Directory.CreateDirectory(cacheRoot);
        var work = Path.Combine(cacheRoot, $".{FolderName}-{Guid.NewGuid():N}.partial");
        Directory.CreateDirectory(work);
        try
        {
            var zipPath = Path.Combine(work, "ml-100k.zip");
            log?.Invoke($"Downloading MovieLens 100K from {url} ...");
            await DownloadAsync(zipPath, cancellationToken);

            var extracted = Path.Combine(work, "extracted");
            try
            {
                ZipFile.ExtractToDirectory(zipPath, extracted);
            }
            catch (InvalidDataException ex)
            {
                throw new DataFormatException(url.ToString(), 0, $"the download is not a readable zip ({ex.Message})");
            }

            var folder = File.Exists(Path.Combine(extracted, FolderName, "u.data"))
                ? Path.Combine(extracted, FolderName)
                : extracted;
            var uData = Path.Combine(folder, "u.data");
            if (!File.Exists(uData))
            {
                throw new DataFormatException(url.ToString(), 0, "the zip holds no ml-100k/u.data");
            }

            if (!await HasExpectedDigestAsync(uData, cancellationToken))
            {
                throw new DataFormatException(url.ToString(), 0, $"u.data does not have the expected sha256 {UDataSha256}; the download is damaged or not MovieLens 100K");
            }

            try
            {
                Directory.Move(folder, target);
            }
            catch (IOException) when (File.Exists(Path.Combine(target, "u.data")))
            {
                // Another process finished the same download first; its copy is as good.
            }

            log?.Invoke($"MovieLens 100K is cached in {target}.");
            return target;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private async Task DownloadAsync(string zipPath, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new DataFormatException(url.ToString(), 0, $"the download failed: {ex.Message}. Use --data PATH with a local copy of ml-100k instead.");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new DataFormatException(url.ToString(), 0, $"the download failed with HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var expected = response.Content.Headers.ContentLength;
            long received;
            try
            {
                await using var source = await response.Content.ReadAsStreamAsync(cancellationToken);
                await using var file = File.Create(zipPath);
                await source.CopyToAsync(file, cancellationToken);
                received = file.Length;
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                throw new DataFormatException(url.ToString(), 0, $"the download broke off: {ex.Message}");
            }

            if (expected is { } length && received != length)
            {
                throw new DataFormatException(url.ToString(), 0, $"the download is truncated: {received} of {length} bytes");
            }
        }
    }

    private static async Task<bool> HasExpectedDigestAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexStringLower(hash) == UDataSha256;
    }
}
