using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LatentLens.Tests.Tracking.Server;

/// <summary>A fact that needs MLflow 2.12.1's real tracking server: ../shared/mlflow/server and Debian's Python packages.</summary>
public sealed class RequiresMlflowServerFactAttribute : FactAttribute
{
    public RequiresMlflowServerFactAttribute()
    {
        Skip = MlflowServer.SkipReason.Value;
    }
}

/// <summary>
/// MLflow 2.12.1's own server (<c>../shared/mlflow/server/run-server.sh</c>) on a free 127.0.0.1 port over a
/// temporary SQLite database and artifacts folder, in its own process group (setsid), killed as a group.
/// </summary>
public sealed class MlflowServer : IDisposable
{
    private static readonly string Script = Path.Combine(TestPaths.Shared, "mlflow", "server", "run-server.sh");
    private const string Python = "/usr/bin/python3";
    private readonly Process _process;
    private readonly string _folder;
    private int _disposed;

    internal static readonly Lazy<string?> SkipReason = new(() =>
    {
        if (!File.Exists(Script))
        {
            return $"MLflow's server script is not at {Script} (the shared folder beside the repository).";
        }

        if (!File.Exists(Python) || !File.Exists("/usr/bin/setsid"))
        {
            return $"{Python} or setsid is missing.";
        }

        var (exit, _, error) = ProcessRunner.Run(Python, ["-c", "import sqlalchemy, alembic, gunicorn, flask, yaml"]);
        return exit == 0 ? null : $"{Python} cannot import MLflow's server dependencies ({error.Trim().Split('\n')[^1]}); install ../shared/mlflow/server/debian-packages.txt.";
    });

    private MlflowServer(Process process, string folder, Uri uri)
    {
        _process = process;
        _folder = folder;
        Uri = uri;
    }

    public Uri Uri { get; }

    /// <summary>The base URL without a trailing slash, as a user types it.</summary>
    public string Url => Uri.AbsoluteUri.TrimEnd('/');

    /// <summary>Starts a server and waits (up to 90 s) for <c>/health</c>.</summary>
    public static async Task<MlflowServer> StartAsync()
    {
        var folder = TestPaths.NewTempFolder();
        var port = TestPorts.Free();
        // A watchdog shell leads the server's process group: should this test process die without disposing the
        // server (killed, crashed, a failed start), the group is ended within a second instead of outliving the run.
        var watchdog = $"\"$0\" \"$@\" & server=$!; while kill -0 {Environment.ProcessId} 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done; kill -TERM -- -$$";
        var start = new ProcessStartInfo("/usr/bin/setsid", ["/bin/bash", "-c", watchdog, Script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), $"sqlite:///{folder}/mlflow.db", Path.Combine(folder, "artifacts")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.Environment.Remove("MLFLOW_TRACKING_URI");
        var process = Process.Start(start)!;
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new MlflowServer(process, folder, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            return await WaitUntilHealthyAsync(server, process, log, port);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private static async Task<MlflowServer> WaitUntilHealthyAsync(MlflowServer server, Process process, System.Text.StringBuilder log, int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                if ((await http.GetAsync(new Uri(server.Uri, "health"))).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or (on a loaded machine) too slow to answer its first request in 5 s.
            }

            await Task.Delay(250);
        }

        string text;
        lock (log)
        {
            text = log.ToString();
        }

        throw new InvalidOperationException($"MLflow's server did not answer /health on port {port} within 90 s: {text}");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            // setsid made the server, gunicorn and its worker one process group whose id is the server's pid.
            // gunicorn stops gracefully on SIGTERM after the server's own process has exited: wait for the whole group.
            var group = $"-{_process.Id}";
            Kill("-TERM", group);
            var clock = Stopwatch.StartNew();
            while (Kill("-0", group) == 0 && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                Thread.Sleep(100);
            }

            if (Kill("-0", group) == 0)
            {
                Kill("-KILL", group);
            }

            _process.WaitForExit(5_000);
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // A worker still closing a file: the temp folder is left.
            }
        }
    }

    /// <summary>kill(1) on a process group; its exit code (0: some process got the signal).</summary>
    private static int Kill(string signal, string group)
    {
        return ProcessRunner.Run("/bin/kill", [signal, "--", group]).ExitCode;
    }

}

/// <summary>One real MLflow server for the whole test run, started on first use (none where the tests skip).</summary>
public sealed class MlflowServerFixture : IAsyncLifetime
{
    private MlflowServer? _server;

    public MlflowServer Server => _server ?? throw new InvalidOperationException(MlflowServer.SkipReason.Value ?? "The server did not start.");

    public async Task InitializeAsync()
    {
        if (MlflowServer.SkipReason.Value is null)
        {
            _server = await MlflowServer.StartAsync();
        }
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class MlflowServerCollection : ICollectionFixture<MlflowServerFixture>
{
    public const string Name = "MLflow tracking server";
}
