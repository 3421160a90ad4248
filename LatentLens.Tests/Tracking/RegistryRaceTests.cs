using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Tracking;

/// <summary>
/// The registry under concurrency, between processes as it happens (trainers with <c>--register</c>,
/// <c>promote</c> from a shell): one run is one version, numbered 1..n without gaps or duplicates.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class RegistryRaceTests : IDisposable
{

    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void RegisteringARunAgainReturnsItsVersion()
    {
        var store = new FileTrackingStore(_root);
        var runs = Record(store, 2);
        var registry = new ModelRegistry(store);

        var first = registry.RegisterVersion(LatentLensConventions.RegisteredModelName, runs[0].ExperimentId, runs[0].RunId);
        var again = registry.RegisterVersion(LatentLensConventions.RegisteredModelName, runs[0].ExperimentId, runs[0].RunId);
        var second = registry.RegisterVersion(LatentLensConventions.RegisteredModelName, runs[1].ExperimentId, runs[1].RunId);

        Assert.Equal((1, 1, 2), (first, again, second));
    }

    [Fact]
    public void PromotionRegistersTheBestRunOnlyOnce()
    {
        var store = new FileTrackingStore(_root);
        Record(store, 2);

        var first = Promotion.PromoteBest(store, LatentLensConventions.ExperimentName, "rmse");
        var second = Promotion.PromoteBest(store, LatentLensConventions.ExperimentName, "rmse");

        Assert.Equal(first.Version, second.Version);
        Assert.False(second.Moved);
        Assert.Single(store.FindRegisteredModel(LatentLensConventions.RegisteredModelName)!.Versions);
    }

    [Fact]
    public async Task ProcessesRegisteringAndPromotingTheSameRunsGiveEachRunOneVersion()
    {
        var store = new FileTrackingStore(_root);
        var runs = Record(store, 3);
        const int Workers = 4;

        // Each worker registers the three runs in its own order, with its promote at its own place among them,
        // so promotions race registrations of the same runs from the other processes.
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var commands = Enumerable.Range(0, runs.Count)
                .Select(k => new[] { "register", "--run-id", runs[(k + w) % runs.Count].RunId, "--mlruns", _root })
                .ToList();
            commands.Insert(w % (runs.Count + 1), ["promote", "--mlruns", _root]);
            var outputs = new List<string>();
            foreach (var command in commands)
            {
                outputs.Add(await RunCli(command));
            }

            return outputs;
        })).ToArray();
        var outputs = (await Task.WhenAll(workers).WaitAsync(CliProcess.Timeout * 4 * Workers)).SelectMany(o => o).ToList();

        var model = new FileTrackingStore(_root).FindRegisteredModel(LatentLensConventions.RegisteredModelName);
        Assert.NotNull(model);
        var summary = string.Join(", ", model.Versions.Select(v => $"v{v.Version}={v.RunId}"));
        Assert.Equal(Enumerable.Range(1, runs.Count), model.Versions.Select(v => v.Version));
        foreach (var run in runs)
        {
            Assert.True(model.Versions.Count(v => v.RunId == run.RunId) == 1, $"{run.RunId}: {summary}");
        }

        var best = runs.MinBy(r => MetricCatalog.Rmse.Summary(r.Result).Mean)!;
        Assert.Equal(model.Versions.Single(v => v.RunId == best.RunId).Version, model.Aliases[LatentLensConventions.ChampionAlias]);
        Assert.Equal(runs.Count * Workers, outputs.Count(o => o.StartsWith("Registered ", StringComparison.Ordinal)));
    }

    private static List<RecordedRun> Record(FileTrackingStore store, int count)
    {
        var recorder = new TrainingRecorder(store, store.GetOrCreateExperiment(LatentLensConventions.ExperimentName)) { GitCommit = null };
        var data = TestData.SyntheticWithTitles(seed: 3);
        return [.. Enumerable.Range(0, count).Select(k =>
        {
            var algorithm = new FunkSvd(new FunkSvdOptions { Factors = 2 + k, Epochs = 2 + k, Seed = 1 });
            return recorder.Record(algorithm, data, "2-fold", Evaluator.Evaluate(algorithm, Splits.KFold(data.Ratings, 2, seed: 1), data.Scale));
        })];
    }

    /// <summary>Runs the API's command line in a process of its own; its standard output, or a failure with both streams.</summary>
    private static async Task<string> RunCli(string[] arguments)
    {
        var (exit, output, error) = await CliProcess.RunAsync(arguments);
        Assert.True(exit == 0, $"{string.Join(' ', arguments)} exited with {exit}: {output}{error}");
        return output;
    }
}
