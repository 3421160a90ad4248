using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LatentLens.Api.Cli;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>What the tracking-server tests share: the command line in process, small ratings, and MLflow's REST API read directly.</summary>
internal static class ServerTestSupport
{
    public static async Task<(int Exit, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Small ratings with numeric ids, as the API takes them.</summary>
    public static string SmallRatings(string folder) => TestData.SmallRatingsCsv(folder, numericIds: true);

}

/// <summary>MLflow's REST API read with a plain HttpClient, independently of the code under test.</summary>
internal sealed class MlflowRest(Uri server) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose() => _http.Dispose();

    public async Task<JsonElement> GetAsync(string endpoint)
    {
        using var response = await _http.GetAsync("api/2.0/mlflow/" + endpoint);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {endpoint}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<JsonElement> PostAsync(string endpoint, object body)
    {
        using var response = await _http.PostAsJsonAsync("api/2.0/mlflow/" + endpoint, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {endpoint}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<byte[]> DownloadAsync(string proxyPath) => await _http.GetByteArrayAsync("api/2.0/mlflow-artifacts/artifacts/" + proxyPath);

    public async Task<string> ExperimentIdAsync(string name) =>
        (await GetAsync($"experiments/get-by-name?experiment_name={Uri.EscapeDataString(name)}")).GetProperty("experiment").GetProperty("experiment_id").GetString()!;

    public async Task<List<JsonElement>> RunsAsync(string experimentId)
    {
        var found = (await PostAsync("runs/search", new { experiment_ids = new[] { experimentId }, max_results = 1000 }));
        return found.TryGetProperty("runs", out var runs) ? [.. runs.EnumerateArray()] : [];
    }

    public async Task<List<(long Timestamp, double Value, long Step)>> HistoryAsync(string runId, string key)
    {
        var history = await GetAsync($"metrics/get-history?run_id={runId}&metric_key={Uri.EscapeDataString(key)}");
        return history.TryGetProperty("metrics", out var metrics)
            ? [.. metrics.EnumerateArray().Select(m => (m.GetProperty("timestamp").GetInt64(), Number(m.GetProperty("value")), m.GetProperty("step").GetInt64()))]
            : [];
    }

    /// <summary>Every file of a run's artifacts (path relative to the run's root, size), listed by <c>artifacts/list</c>.</summary>
    public async Task<Dictionary<string, long>> ArtifactsAsync(string runId, string? path = null)
    {
        var files = new Dictionary<string, long>(StringComparer.Ordinal);
        var listing = await GetAsync($"artifacts/list?run_id={runId}{(path is null ? string.Empty : $"&path={Uri.EscapeDataString(path)}")}");
        if (!listing.TryGetProperty("files", out var entries))
        {
            return files;
        }

        foreach (var entry in entries.EnumerateArray())
        {
            var entryPath = entry.GetProperty("path").GetString()!;
            if (entry.TryGetProperty("is_dir", out var isDir) && isDir.GetBoolean())
            {
                foreach (var (p, size) in await ArtifactsAsync(runId, entryPath))
                {
                    files[p] = size;
                }
            }
            else
            {
                files[entryPath] = entry.TryGetProperty("file_size", out var size) ? size.GetInt64() : 0;
            }
        }

        return files;
    }

    public async Task<(string Version, string RunId)> AliasAsync(string model, string alias)
    {
        var version = (await GetAsync($"registered-models/alias?name={Uri.EscapeDataString(model)}&alias={alias}")).GetProperty("model_version");
        return (version.GetProperty("version").GetString()!, version.GetProperty("run_id").GetString()!);
    }

    public async Task<List<JsonElement>> VersionsAsync(string model)
    {
        var found = await GetAsync($"model-versions/search?filter={Uri.EscapeDataString($"name='{model}'")}&max_results=1000");
        return found.TryGetProperty("model_versions", out var versions) ? [.. versions.EnumerateArray()] : [];
    }

    public static Dictionary<string, string> Pairs(JsonElement run, string field) =>
        run.GetProperty("data").TryGetProperty(field, out var items)
            ? items.EnumerateArray().ToDictionary(i => i.GetProperty("key").GetString()!, i => i.TryGetProperty("value", out var v) ? v.GetString() ?? string.Empty : string.Empty, StringComparer.Ordinal)
            : [];

    public static Dictionary<string, double> Metrics(JsonElement run) =>
        run.GetProperty("data").TryGetProperty("metrics", out var items)
            ? items.EnumerateArray().ToDictionary(i => i.GetProperty("key").GetString()!, i => Number(i.GetProperty("value")), StringComparer.Ordinal)
            : [];

    public static double Number(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? double.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
        : value.GetDouble();
}

/// <summary>
/// A local HTTP stub for the failures MLflow's real server cannot be made to produce (bare 404 pages, 5xx,
/// malformed JSON, throttling). It counts the requests it gets.
/// </summary>
internal sealed class FailingHttpStub : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerRequest, int, (int Status, string Body)> _answer;
    private readonly Task _loop;
    private int _requests;

    public FailingHttpStub(Func<HttpListenerRequest, int, (int Status, string Body)> answer)
    {
        _answer = answer;
        var port = TestPorts.Free();
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    public List<string> Authorizations { get; } = [];

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var n = Interlocked.Increment(ref _requests);
            lock (Authorizations)
            {
                Authorizations.Add(context.Request.Headers["Authorization"] ?? string.Empty);
            }

            var (status, body) = _answer(context.Request, n);
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = body.StartsWith('{') ? "application/json" : "text/html";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
