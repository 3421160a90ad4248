using System.Text.Json;
using LatentLens.Tests.Cli;

namespace LatentLens.Tests.Tracking;

/// <summary>
/// <c>train --search</c>'s runs read back by MLflow 2.12.1's own Python client: a parent run per searched
/// algorithm, its trials and the chosen run nested under it by <c>mlflow.parentRunId</c>, and the champion
/// the chosen run of the best search.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class SearchNestingMlflowTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private static readonly string MlflowPackage = Path.Combine(TestPaths.Shared, "mlflow", "server", "mlflow-2.12.1-python.tgz");
    private readonly string _work = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [RequiresMlflowPythonFact]
    public async Task MlflowSeesEachSearchAsAParentWithItsTrialsAndTheChosenRunNested()
    {
        var mlruns = Path.Combine(_work, "mlruns");
        var (exit, output, error) = await CliRun.RunAsync(
            "train", "--data", TestData.SmallRatingsCsv(_work), "--folds", "2", "--algorithm", "popular,puresvd,als", "--search", "3",
            "--promote-by", "ndcg_at_10", "--register", "--mlruns", mlruns, "--json");
        Assert.True(exit == 0, error);
        Assert.Contains("trial 3/3", error, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("results")[0].GetProperty("search").ValueKind);
        Assert.Equal(3, json.RootElement.GetProperty("results")[1].GetProperty("search").GetProperty("trials").GetInt32());

        var mlflow = Path.Combine(_work, "mlflow");
        Directory.CreateDirectory(mlflow);
        Assert.Equal(0, ProcessRunner.Run("tar", ["-xzf", MlflowPackage, "-C", mlflow]).ExitCode);
        var script = $$"""
            from mlflow.tracking import MlflowClient
            client = MlflowClient(tracking_uri="file:{{mlruns}}")
            experiment = client.get_experiment_by_name("LatentLens-SVD-Evaluation")
            for run in client.search_runs([experiment.experiment_id], max_results=1000):
                models = [a.path for a in client.list_artifacts(run.info.run_id) if a.path == "model"]
                print("\t".join([run.info.run_id, run.data.tags.get("mlflow.parentRunId", "-"), run.info.run_name, run.info.status,
                                 ",".join(sorted(run.data.metrics)) or "-", "model" if models else "-"]))
            for parent in client.search_runs([experiment.experiment_id], filter_string="attributes.run_name LIKE 'search-%'"):
                children = client.search_runs([experiment.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
                print("children\t" + parent.info.run_name + "\t" + str(len(children)))
            champion = client.get_model_version_by_alias("LatentLens-SVD", "champion")
            print("champion\t" + champion.run_id)
            """;
        var python = ProcessRunner.Run(Python, ["-c", script], new Dictionary<string, string?> { ["PYTHONPATH"] = mlflow, ["GIT_PYTHON_REFRESH"] = "quiet", ["MLFLOW_TRACKING_URI"] = null }, _work, TimeSpan.FromMinutes(3));
        Assert.True(python.ExitCode == 0, python.Error);

        var lines = python.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        var runs = lines.Where(l => l.Length == 6).Select(l => (Id: l[0], Parent: l[1], Name: l[2], Status: l[3], Metrics: l[4].Split(','), Model: l[5] == "model")).ToList();
        Assert.Equal(1 + (2 * (1 + 3 + 1)), runs.Count);
        Assert.All(runs, r => Assert.Equal("FINISHED", r.Status));
        var popular = Assert.Single(runs, r => r.Name == "popular");
        Assert.Equal("-", popular.Parent);
        Assert.True(popular.Model);
        foreach (var algorithm in new[] { "puresvd", "als" })
        {
            var parent = Assert.Single(runs, r => r.Name == $"search-{algorithm}-3");
            Assert.Equal("-", parent.Parent);
            Assert.False(parent.Model);
            var children = runs.Where(r => r.Parent == parent.Id).ToList();
            Assert.Equal(4, children.Count);
            Assert.Equal("4", Assert.Single(lines, l => l[0] == "children" && l[1] == parent.Name)[2]);
            var trials = children.Where(c => c.Name.Contains("-trial", StringComparison.Ordinal)).ToList();
            Assert.Equal(3, trials.Count);
            Assert.All(trials, t =>
            {
                Assert.False(t.Model);
                Assert.Contains("validation_ndcg_at_10", t.Metrics);
                Assert.DoesNotContain("ndcg_at_10", t.Metrics);
            });
            var chosen = Assert.Single(children, c => !c.Name.Contains("-trial", StringComparison.Ordinal));
            Assert.True(chosen.Model);
            Assert.Contains("ndcg_at_10", chosen.Metrics);
        }

        var champion = Assert.Single(lines, l => l[0] == "champion")[1];
        Assert.True(runs.Single(r => r.Id == champion).Model);
    }
}
