using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Artifacts;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Training;

namespace LatentLens.Tests.Tracking;

/// <summary>A recorded training run, its model artifact, and what a crash at any moment leaves behind.</summary>
public sealed class RecordingTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempFolder();

    public void Dispose()
    {
        AtomicFile.BeforeRename = null;
        Directory.Delete(_root, recursive: true);
    }

    private static RatingData SmallData() => TestData.SyntheticWithTitles(seed: 2);

    private RecordedRun Record(RatingData data, IRecommenderAlgorithm algorithm)
    {
        var store = new FileTrackingStore(_root);
        var recorder = new TrainingRecorder(store, store.GetOrCreateExperiment(LatentLensConventions.ExperimentName)) { GitCommit = null };
        var splits = Splits.KFold(data.Ratings, 3, seed: 1);
        var result = Evaluator.Evaluate(algorithm, splits, data.Scale);
        return recorder.Record(algorithm, data, "3-fold cross-validation (seed 1)", result);
    }

    [Fact]
    public void ARecordedRunHasEverythingTheIssueAsksFor()
    {
        var recorded = Record(SmallData(), new FunkSvd(new FunkSvdOptions { Factors = 8, Epochs = 7, Seed = 3 }));

        var reader = new FileTrackingStore(_root);
        var problems = new ProblemSink();
        var experiment = Assert.Single(reader.ReadExperiments(problems));
        var run = Assert.Single(reader.ReadRuns(experiment.Id, problems));
        Assert.Empty(problems.Problems);
        Assert.Equal("LatentLens-SVD-Evaluation", experiment.Name);
        Assert.Equal(recorded.RunId, run.RunId);
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.Equal("funksvd-f8-e7", run.Tags["mlflow.runName"]);
        Assert.Equal("LOCAL", run.Tags["mlflow.source.type"]);
        Assert.Contains("RMSE", run.Tags["mlflow.note.content"], StringComparison.Ordinal);
        Assert.Contains("\"artifact_path\":\"model\"", run.Tags["mlflow.log-model.history"], StringComparison.Ordinal);
        Assert.Equal("8", run.Params["factors"]);
        Assert.Equal("synthetic", run.Params["dataset"]);
        Assert.Equal("3", run.Params["seed"]);
        foreach (var metric in new[] { "rmse", "mae", "precision_at_10", "recall_at_10", "ndcg_at_10", "rmse_std", "fit_time_s" })
        {
            Assert.True(run.Metrics.ContainsKey(metric), metric);
        }

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], run.MetricHistories["train_rmse"].Select(p => p.Step));
        Assert.Equal(MetricCatalog.Rmse.Summary(recorded.Result).Mean, run.Metrics["rmse"]);
        Assert.Equal("synthetic", Assert.Single(run.Inputs).DatasetName);
        foreach (var file in new[] { "model/MLmodel", "model/model.json", "model/user_factors.npy", "model/item_factors.npy", "model/user_bias.npy", "model/item_bias.npy", "evaluation.json", "item_map.svg" })
        {
            Assert.True(File.Exists(Path.Combine(run.ArtifactsFolder, file)), file);
        }

        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(run.ArtifactsFolder, "item_map.svg")), StringComparison.Ordinal);
        Assert.Contains("latentlens:", File.ReadAllText(Path.Combine(run.ArtifactsFolder, "model", "MLmodel")), StringComparison.Ordinal);
    }

    [Fact]
    public void TheSavedModelLoadsBackAndPredictsTheSame()
    {
        var data = SmallData();
        var trainset = Trainset.Build(data.Ratings, data.Scale);
        var model = new FunkSvd(new FunkSvdOptions { Factors = 5, Epochs = 3 }).Fit(trainset);
        var saved = SavedModel.From(model, trainset, data.Titles, new Dictionary<string, string> { ["factors"] = "5" });
        var folder = Path.Combine(_root, "model");
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in ModelArtifact.Build(saved, "run", "uuid", DateTime.UtcNow))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, name))!);
            File.WriteAllBytes(Path.Combine(folder, name), content);
        }

        var loaded = ModelArtifact.Load(folder);

        Assert.Equal(model.Users.RawIds, loaded.Model.Users.RawIds);
        Assert.Equal("Movie 3 (2000)", loaded.Titles["3"]);
        Assert.Equal(saved.RatedBy(0).ToArray(), loaded.RatedBy(0).ToArray());
        Assert.Equal(trainset.Values, loaded.RatedValues);
        Assert.Equal(saved.RatingsBy(1).ToArray(), loaded.RatingsBy(1).ToArray());
        foreach (var r in data.Ratings.Take(50))
        {
            Assert.Equal(model.Predict(r.User, r.Item), loaded.Model.Predict(r.User, r.Item));
        }
    }

    [Theory]
    [InlineData("MLmodel", "missing")]
    [InlineData("item_factors.npy", "truncated")]
    [InlineData("model.json", "unreadable")]
    public void ABrokenModelIsRefusedNamingTheFile(string file, string expected)
    {
        var data = SmallData();
        var trainset = Trainset.Build(data.Ratings, data.Scale);
        var saved = SavedModel.From(new Baseline(new BaselineOptions()).Fit(trainset), trainset, data.Titles, new Dictionary<string, string>());
        var folder = Path.Combine(_root, "model");
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in ModelArtifact.Build(saved, "run", "uuid", DateTime.UtcNow))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, name))!);
            File.WriteAllBytes(Path.Combine(folder, name), content);
        }

        var path = Path.Combine(folder, file);
        if (file == "MLmodel")
        {
            File.Delete(path);
        }
        else
        {
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        }

        var error = Assert.Throws<InvalidDataException>(() => ModelArtifact.Load(folder));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NpyFilesFollowNumpysFormat()
    {
        var bytes = NpyFile.WriteMatrix([1f, 2f, 0f, 3f, 4f, 0f], rows: 2, columns: 2, stride: 3);

        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", System.Text.Encoding.ASCII.GetString(bytes, 1, 5));
        var headerLength = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Contains("'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", System.Text.Encoding.ASCII.GetString(bytes, 10, headerLength), StringComparison.Ordinal);
        var (data, shape) = NpyFile.Read(bytes);
        Assert.Equal([2, 2], shape);
        Assert.Equal([1f, 2f, 3f, 4f], data);
    }

    private sealed class SimulatedCrashException : Exception
    {
    }

    [Fact]
    public void ACrashBetweenAnyTwoFilesLeavesARunThatIsNeverFinishedAndNeverUnreadable()
    {
        var data = SmallData();
        var algorithm = new FunkSvd(new FunkSvdOptions { Factors = 4, Epochs = 3 });

        // Count the files a whole recording writes into a store prepared as for the crash runs below
        // (experiment already there), then crash after each number of them.
        void Prepare()
        {
            Directory.Delete(_root, recursive: true);
            Directory.CreateDirectory(_root);
            new FileTrackingStore(_root).GetOrCreateExperiment(LatentLensConventions.ExperimentName);
        }

        Prepare();
        var total = 0;
        AtomicFile.BeforeRename = _ => total++;
        Record(data, algorithm);
        AtomicFile.BeforeRename = null;

        var crashes = 0;

        // Every write is a crash point, the last ones (the FINISHED meta.yaml) included.
        for (var survive = 0; survive < total; survive++)
        {
            // A fresh store each time: a crash after the dataset was recorded would otherwise spare the next runs that write.
            Prepare();
            var written = 0;
            AtomicFile.BeforeRename = _ =>
            {
                if (written++ >= survive)
                {
                    throw new SimulatedCrashException();
                }
            };
            Assert.Throws<SimulatedCrashException>(() => Record(data, algorithm));
            AtomicFile.BeforeRename = null;

            var reader = new FileTrackingStore(_root);
            var problems = new ProblemSink();
            var runs = reader.ReadExperiments(problems).SelectMany(e => reader.ReadRuns(e.Id, problems)).ToList();
            Assert.DoesNotContain(problems.Problems, p => p.BreaksMlflow);
            Assert.DoesNotContain(runs, r => r.Status == RunStatus.Finished);
            Assert.Empty(Directory.EnumerateFileSystemEntries(_root, AtomicFile.TempPrefix + "*"));
            crashes++;
        }

        // The loop really reached the last write: a run whose every file but the FINISHED status was written.
        Assert.Equal(total, crashes);
        AtomicFile.BeforeRename = null;
        Record(data, algorithm);
        var finished = new FileTrackingStore(_root);
        Assert.Single(finished.ReadExperiments().SelectMany(e => finished.ReadRuns(e.Id)), r => r.Status == RunStatus.Finished);
    }
}
