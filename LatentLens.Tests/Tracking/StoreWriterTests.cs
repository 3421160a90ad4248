using System.Globalization;
using System.Text;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Tracking;

/// <summary>The writer against the rules of FORMAT.md; each test fails if its rule is broken.</summary>
public sealed class StoreWriterTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (FileTrackingStore Store, string ExperimentId) NewStore(string experiment = "exp")
    {
        var store = new FileTrackingStore(_root);
        return (store, store.GetOrCreateExperiment(experiment));
    }

    [Fact]
    public void ANewStoreHoldsTheDefaultExperimentAsMlflowCreatesIt()
    {
        var root = Path.Combine(_root, "fresh-store");
        var store = new FileTrackingStore(root);
        var id = store.GetOrCreateExperiment("exp");

        var reader = new FileTrackingStore(root);
        var problems = new ProblemSink();
        var experiments = reader.ReadExperiments(problems);
        Assert.Empty(problems.Problems);
        Assert.Equal(["0", id], experiments.Select(e => e.Id).Order(StringComparer.Ordinal));
        var defaultExperiment = experiments.Single(e => e.Id == "0");
        Assert.Equal(("Default", "active", "fresh-store/0"), (defaultExperiment.Name, defaultExperiment.LifecycleStage, defaultExperiment.ArtifactLocation));
        Assert.Contains("experiment_id: '0'\n", File.ReadAllText(Path.Combine(root, "0", "meta.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public void AnExistingStoreIsNotGivenADefaultExperiment()
    {
        // MLflow creates experiment 0 only with the store's folder; a folder that exists already (the repository's mlruns/) is left as it is.
        var store = new FileTrackingStore(_root);
        store.GetOrCreateExperiment("exp");

        Assert.False(Directory.Exists(Path.Combine(_root, "0")));
    }

    [Fact]
    public void ArtifactUrisStartWithTheStoresOwnFolderName()
    {
        var store = new FileTrackingStore(Path.Combine(_root, "mystore"));
        var experimentId = store.GetOrCreateExperiment("exp");
        var run = store.StartRun(experimentId, "r", "u");
        run.End(RunStatus.Finished);

        var read = Assert.Single(new FileTrackingStore(store.Root).ReadRuns(experimentId));
        Assert.Equal($"mystore/{experimentId}/{run.RunId}/artifacts", read.ArtifactUri);
        Assert.Equal($"mystore/{experimentId}", new FileTrackingStore(store.Root).FindExperiment("exp")!.ArtifactLocation);
    }

    [Fact]
    public void WhatIsWrittenReadsBack()
    {
        var (store, experimentId) = NewStore();
        var run = store.StartRun(experimentId, "my-run", "alice");
        run.LogParam("factors", "100");
        run.LogParam("nested/key", "v");
        run.SetTag("mlflow.note.content", "# Hello\nworld");
        run.LogMetric("train_rmse", 1.5, 1, 1000);
        run.LogMetric("train_rmse", 1.25, 2, 2000);
        run.LogMetric("rmse", 0.9);
        run.LogInput(store.LogDataset(experimentId, "ml", "abcd1234", "data/x.csv", 10), "training");
        run.End(RunStatus.Finished);

        var reader = new FileTrackingStore(_root);
        var problems = new ProblemSink();
        var read = Assert.Single(reader.ReadRuns(experimentId, problems));

        Assert.Empty(problems.Problems);
        Assert.Equal("exp", Assert.Single(reader.ReadExperiments(problems)).Name);
        Assert.Equal(run.RunId, read.RunId);
        Assert.Equal("my-run", read.RunName);
        Assert.Equal("alice", read.UserId);
        Assert.Equal(RunStatus.Finished, read.Status);
        Assert.NotNull(read.EndTime);
        Assert.Equal("100", read.Params["factors"]);
        Assert.Equal("v", read.Params["nested/key"]);
        Assert.Equal("# Hello\nworld", read.Tags["mlflow.note.content"]);
        Assert.Equal("my-run", read.Tags["mlflow.runName"]);
        Assert.Equal([new MetricPoint(1000, 1.5, 1), new MetricPoint(2000, 1.25, 2)], read.MetricHistories["train_rmse"]);
        Assert.Equal(0.9, read.Metrics["rmse"]);
        Assert.Equal("abcd1234", Assert.Single(read.Inputs).DatasetDigest);
        Assert.Equal("training", read.Inputs[0].Tags["mlflow.data.context"]);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("0123")]
    [InlineData("null")]
    [InlineData("it's: fine")]
    public void NamesAndIdsAreQuotedSoYamlKeepsThemStrings(string name)
    {
        var (store, experimentId) = NewStore(name);
        var run = store.StartRun(experimentId, name, name);

        var experimentMeta = File.ReadAllText(Path.Combine(_root, experimentId, "meta.yaml"));
        var runMeta = File.ReadAllText(Path.Combine(run.Folder, "meta.yaml"));

        Assert.Contains($"experiment_id: '{experimentId}'", experimentMeta, StringComparison.Ordinal);
        Assert.Contains($"name: '{name.Replace("'", "''", StringComparison.Ordinal)}'", experimentMeta, StringComparison.Ordinal);
        Assert.Contains($"experiment_id: '{experimentId}'", runMeta, StringComparison.Ordinal);
        Assert.Contains($"run_name: '{name.Replace("'", "''", StringComparison.Ordinal)}'", runMeta, StringComparison.Ordinal);
        var read = new FileTrackingStore(_root);
        Assert.Equal(name, Assert.Single(read.ReadExperiments()).Name);
        Assert.Equal(name, Assert.Single(read.ReadRuns(experimentId)).RunName);
    }

    [Fact]
    public void NoFileStartsWithABom()
    {
        var (store, experimentId) = NewStore();
        var run = store.StartRun(experimentId, "r", "u");
        run.LogParam("p", "é");
        run.SetTag("t", "ü");
        run.LogMetric("m", 1);
        run.End(RunStatus.Finished);

        foreach (var file in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories))
        {
            var head = File.ReadAllBytes(file).Take(3).ToArray();
            Assert.False(head is [0xEF, 0xBB, 0xBF], $"{file} starts with a BOM");
        }

        Assert.Equal("é", File.ReadAllText(Path.Combine(run.Folder, "params", "p")));
    }

    [Fact]
    public void NumbersUseTheInvariantCultureWhateverTheCurrentOne()
    {
        var (store, experimentId) = NewStore();
        var run = store.StartRun(experimentId, "r", "u");
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            run.LogMetric("m", 0.95, 3, 1700000000123);
            run.LogMetric("tiny", 1e-5, 0, 1700000000123);
            run.LogMetric("nan", double.NaN, 0, 1700000000123);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }

        Assert.Equal("1700000000123 0.95 3\n", File.ReadAllText(Path.Combine(run.Folder, "metrics", "m")));
        Assert.Equal("1700000000123 1E-05 0\n", File.ReadAllText(Path.Combine(run.Folder, "metrics", "tiny")));
        Assert.Equal("1700000000123 NaN 0\n", File.ReadAllText(Path.Combine(run.Folder, "metrics", "nan")));
    }

    [Fact]
    public void TimestampsAreIntegerMilliseconds()
    {
        var (store, experimentId) = NewStore();
        var run = store.StartRun(experimentId, "r", "u");
        run.LogMetric("m", 1);

        var line = File.ReadAllText(Path.Combine(run.Folder, "metrics", "m")).Split(' ');
        Assert.Matches("^[0-9]{13}$", line[0]);
        Assert.Matches("start_time: [0-9]{13}\n", File.ReadAllText(Path.Combine(run.Folder, "meta.yaml")));
    }

    [Theory]
    [InlineData("bad key!")]
    [InlineData("../escape")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("")]
    public void InvalidKeysAreRefusedBeforeAnythingIsWritten(string key)
    {
        var (store, experimentId) = NewStore();
        var run = store.StartRun(experimentId, "r", "u");

        Assert.Throws<ArgumentException>(() => run.LogParam(key, "v"));
        Assert.Throws<ArgumentException>(() => run.LogMetric(key, 1));
        Assert.False(Directory.Exists(Path.Combine(run.Folder, "params")));
    }

    [Fact]
    public void ARunHasEveryRequiredFieldAndTheRightStatusCodes()
    {
        var (store, experimentId) = NewStore();
        var run = store.StartRun(experimentId, "r", "u");
        var running = File.ReadAllText(Path.Combine(run.Folder, "meta.yaml"));
        run.End(RunStatus.Failed, "boom");
        var failed = File.ReadAllText(Path.Combine(run.Folder, "meta.yaml"));

        foreach (var key in new[] { "artifact_uri", "end_time", "entry_point_name", "experiment_id", "lifecycle_stage", "run_id", "run_name", "run_uuid", "source_name", "source_type", "source_version", "start_time", "status", "tags", "user_id" })
        {
            Assert.Contains($"\n{key}: ", "\n" + running, StringComparison.Ordinal);
        }

        Assert.Contains("status: 1\n", running, StringComparison.Ordinal);
        Assert.Contains("end_time: null\n", running, StringComparison.Ordinal);
        Assert.Contains("status: 4\n", failed, StringComparison.Ordinal);
        Assert.Contains("boom", File.ReadAllText(Path.Combine(run.Folder, "tags", "mlflow.note.content")), StringComparison.Ordinal);
        // Relative to the folder holding the store, starting with the store's own folder name (here a temporary one).
        Assert.Contains($"artifact_uri: '{Path.GetFileName(store.Root)}/{experimentId}/{run.RunId}/artifacts'", running, StringComparison.Ordinal);
    }

    [Fact]
    public void ParamsAndTagsHaveNoTrailingNewline()
    {
        var (store, experimentId) = NewStore();
        var run = store.StartRun(experimentId, "r", "u");
        run.LogParam("p", "value");

        Assert.Equal(Encoding.UTF8.GetBytes("value"), File.ReadAllBytes(Path.Combine(run.Folder, "params", "p")));
        Assert.Equal(Encoding.UTF8.GetBytes("r"), File.ReadAllBytes(Path.Combine(run.Folder, "tags", "mlflow.runName")));
    }

    [Fact]
    public void GetOrCreateExperimentReturnsTheExistingOne()
    {
        var (store, first) = NewStore("same");

        Assert.Equal(first, store.GetOrCreateExperiment("same"));
        Assert.Matches("^[1-9][0-9]{17}$", first);
        Assert.True(Directory.Exists(Path.Combine(_root, ".trash")));
        Assert.True(Directory.Exists(Path.Combine(_root, "models")));
    }

    [Fact]
    public void RegistryNumbersVersionsAndMovesAliases()
    {
        var (store, experimentId) = NewStore();
        var runs = Enumerable.Range(0, 2).Select(_ =>
        {
            var run = store.StartRun(experimentId, "r", "u");
            run.WriteArtifact("model/MLmodel", "artifact_path: 'model'\n");
            run.End(RunStatus.Finished);
            return run;
        }).ToList();
        var registry = new ModelRegistry(store);

        var v1 = registry.RegisterVersion("LatentLens-SVD", experimentId, runs[0].RunId);
        registry.SetAlias("LatentLens-SVD", "champion", v1);
        var v2 = registry.RegisterVersion("LatentLens-SVD", experimentId, runs[1].RunId);
        registry.SetAlias("LatentLens-SVD", "champion", v2);

        var model = Assert.Single(new FileTrackingStore(_root).ReadRegisteredModels());
        Assert.Equal([1, 2], model.Versions.Select(v => v.Version));
        Assert.Equal(runs[1].RunId, model.Versions.Single(v => v.Version == model.Aliases["champion"]).RunId);
        Assert.Equal("2", File.ReadAllText(Path.Combine(_root, "models", "LatentLens-SVD", "aliases", "champion")));
        Assert.Contains("champion: '2'", File.ReadAllText(Path.Combine(_root, "models", "LatentLens-SVD", "meta.yaml")), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => registry.SetAlias("LatentLens-SVD", "latest", 1));
        Assert.Throws<ArgumentException>(() => registry.SetAlias("LatentLens-SVD", "v2", 1));
        Assert.Throws<InvalidOperationException>(() => registry.SetAlias("LatentLens-SVD", "champion", 9));
    }

    [Fact]
    public void TwoWritersAtOnceNeverCorruptEachOther()
    {
        var store = new FileTrackingStore(_root);
        var ids = new string[8];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, n =>
        {
            ids[n] = store.GetOrCreateExperiment("shared");
            var run = store.StartRun(ids[n], $"run-{n}", "u");
            for (var step = 0; step < 20; step++)
            {
                run.LogMetric("train_rmse", 1.0 / (step + 1), step);
            }

            run.End(RunStatus.Finished);
        });

        Assert.Single(ids.Distinct());
        var reader = new FileTrackingStore(_root);
        var problems = new ProblemSink();
        var runs = reader.ReadRuns(ids[0], problems);
        Assert.Empty(problems.Problems);
        Assert.Equal(8, runs.Count);
        Assert.All(runs, r => Assert.Equal(20, r.MetricHistories["train_rmse"].Count));
        Assert.Empty(Directory.EnumerateFiles(_root, AtomicFileTempPattern));
    }

    private const string AtomicFileTempPattern = ".latentlens-tmp-*";
}
