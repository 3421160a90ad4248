using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Tests.Api;

namespace LatentLens.Tests.Tracking;

/// <summary>A fact that needs Debian's Python with NumPy and pandas, and MLflow 2.12.1's Python package from ../shared.</summary>
public sealed class RequiresMlflowPythonFactAttribute : FactAttribute
{
    public RequiresMlflowPythonFactAttribute()
    {
        Skip = PythonFlavorTests.SkipReason.Value;
    }
}

/// <summary>
/// MLflow's own Python code loads a LatentLens model through the python_function flavor and agrees with
/// the API: 1,000 predictions to 1e-4 and the top-10 lists.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class PythonFlavorTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private static readonly string MlflowPackage = Path.Combine(TestPaths.Shared, "mlflow", "server", "mlflow-2.12.1-python.tgz");
    private readonly ApiStore _store = new();
    private readonly string _work = TestPaths.NewTempFolder();

    internal static readonly Lazy<string?> SkipReason = new(() =>
    {
        if (!File.Exists(MlflowPackage))
        {
            return $"MLflow 2.12.1's Python package is not at {MlflowPackage} (the shared folder beside the repository).";
        }

        var (exit, _, error) = Run(Python, ["-c", "import numpy, pandas, yaml, cloudpickle"], Directory.GetCurrentDirectory(), null);
        return exit == 0 ? null : $"{Python} cannot import numpy, pandas, yaml and cloudpickle ({error.Trim()}); install ../shared/mlflow/server/debian-packages.txt.";
    });

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private static (int Exit, string Out, string Err) Run(string file, IEnumerable<string> args, string directory, string? pythonPath)
    {
        var environment = new Dictionary<string, string?> { ["GIT_PYTHON_REFRESH"] = "quiet", ["MLFLOW_TRACKING_URI"] = null };
        if (pythonPath is not null)
        {
            environment["PYTHONPATH"] = pythonPath;
        }

        var (exit, output, error) = ProcessRunner.Run(file, args, environment, directory, TimeSpan.FromMinutes(3));
        return (exit, output, error);
    }

    [RequiresMlflowPythonFact]
    public async Task MlflowLoadsTheChampionAndAgreesWithTheApi()
    {
        _store.Train(new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 10 }));
        var mlflow = Path.Combine(_work, "mlflow");
        Directory.CreateDirectory(mlflow);
        Assert.Equal(0, Run("tar", ["-xzf", MlflowPackage, "-C", mlflow], _work, null).Exit);

        // 1,000 pairs, some with an unknown user or item (the fallback rule must agree too).
        var random = new Random(7);
        var pairs = Enumerable.Range(0, 1000).Select(n => (User: (random.Next(130) + 1).ToString(CultureInfo.InvariantCulture), Item: (random.Next(90) + 1).ToString(CultureInfo.InvariantCulture))).ToList();
        await using var factory = new ApiFactory(_store.Root);
        using var client = await factory.ReadyClientAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var response = await client.PostAsJsonAsync("/predictions", new { pairs = pairs.Select(p => new { userId = p.User, itemId = p.Item }) }, cts.Token);
        var api = (await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token)).GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("predictedRating").GetDouble()).ToList();
        var apiTop = (await client.GetFromJsonAsync<JsonElement>("/users/3/recommendations?k=10", cts.Token)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()).ToList();

        var csv = new StringBuilder("user,item\n");
        foreach (var (user, item) in pairs)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{user},{item}\n");
        }

        await File.WriteAllTextAsync(Path.Combine(_work, "pairs.csv"), csv.ToString(), cts.Token);

        // Through the registry and the store's relative artifact URIs, as a data scientist would: from the folder holding the store.
        var script = $$"""
            import mlflow, pandas as pd
            mlflow.set_tracking_uri("file:{{Path.GetFileName(_store.Root)}}")
            model = mlflow.pyfunc.load_model("models:/LatentLens-SVD@champion")
            pairs = pd.read_csv("{{Path.Combine(_work, "pairs.csv")}}", dtype=str)
            for value in model.predict(pairs):
                print(repr(float(value)))
            print("top:" + ",".join(item for item, _ in model.unwrap_python_model().recommend("3", k=10)))
            """;
        var (exit, output, error) = Run(Python, ["-c", script], Path.GetDirectoryName(_store.Root)!, mlflow);

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var python = lines.Where(l => !l.StartsWith("top:", StringComparison.Ordinal)).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(1000, python.Count);
        for (var n = 0; n < api.Count; n++)
        {
            Assert.True(Math.Abs(api[n] - python[n]) < 1e-4, $"pair {n} ({pairs[n]}): API {api[n]}, MLflow {python[n]}");
        }

        Assert.Equal(string.Join(',', apiTop), lines.Single(l => l.StartsWith("top:", StringComparison.Ordinal))["top:".Length..]);
    }
}
