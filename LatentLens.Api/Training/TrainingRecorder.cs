using System.Globalization;
using System.Text;
using System.Text.Json;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Training;

/// <summary>What one recorded run amounts to.</summary>
internal sealed record RecordedRun(string ExperimentId, string RunId, string Name, EvaluationResult Result);

/// <summary>
/// Records a trained configuration as an MLflow run: params, cross-validated metrics, the per-epoch
/// train RMSE of the final fit on all the data, tags, the dataset input, and the artifacts (the
/// model, the evaluation report, the picture of the item space). The run is RUNNING until every
/// artifact is written, then FINISHED; an exception marks it FAILED with the error in its note.
/// </summary>
internal sealed class TrainingRecorder(ITrackingStore store, string experimentId)
{
    public string ExperimentId { get; } = experimentId;

    /// <summary>Recorded as <c>mlflow.source.name</c>.</summary>
    public string SourceName { get; init; } = "LatentLens.Api train";

    public string UserId { get; init; } = Environment.UserName;

    public string? GitCommit { get; init; } = GitInfo.CurrentCommit(Directory.GetCurrentDirectory());

    /// <summary>Starts a parent run for a sweep; its children name it in <c>mlflow.parentRunId</c>.</summary>
    public IRunWriter StartParent(string name, IReadOnlyDictionary<string, string> sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var run = store.StartRun(ExperimentId, name, UserId);
        SetSourceTags(run);
        foreach (var (key, value) in sweep)
        {
            run.LogParam(key, value);
        }

        return run;
    }

    /// <summary>Gives the parent the best child's figures and ends it.</summary>
    public void FinishParent(IRunWriter parent, IReadOnlyList<RecordedRun> children)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(children);
        var best = children.MinBy(c => c.Result.Rmse.Mean)!;
        foreach (var (key, value) in Metrics(best.Result))
        {
            parent.LogMetric(key, value);
        }

        parent.SetTag("best_run_id", best.RunId);
        parent.SetTag("best_run_name", best.Name);
        var note = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Sweep of {children.Count} configurations. Best by RMSE: **{best.Name}** (run `{best.RunId}`), RMSE {best.Result.Rmse.Mean:F4}.\n\n")
            .Append("| run | RMSE | MAE | NDCG@10 |\n|---|---:|---:|---:|\n");
        foreach (var c in children.OrderBy(c => c.Result.Rmse.Mean))
        {
            note.Append(CultureInfo.InvariantCulture, $"| {c.Name} | {c.Result.Rmse.Mean:F4} | {c.Result.Mae.Mean:F4} | {c.Result.NdcgAtK.Mean:F4} |\n");
        }

        parent.SetTag("mlflow.note.content", note.ToString());
        parent.End(RunStatus.Finished);
    }

    /// <summary>Records one evaluated configuration, fitting the final model on all of <paramref name="data"/>.</summary>
    public RecordedRun Record(
        IRecommenderAlgorithm algorithm,
        RatingData data,
        string split,
        EvaluationResult result,
        string? parentRunId = null,
        Action<EpochReport>? onEpoch = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(result);
        var run = store.StartRun(ExperimentId, algorithm.DisplayName, UserId);
        try
        {
            SetSourceTags(run);
            if (parentRunId is not null)
            {
                run.SetTag("mlflow.parentRunId", parentRunId);
            }

            foreach (var (key, value) in algorithm.Parameters)
            {
                run.LogParam(key, value);
            }

            run.LogParam("dataset", data.Name);
            run.LogParam("split", split);
            run.LogParam("k", result.K.ToString(CultureInfo.InvariantCulture));

            var trainset = Trainset.Build(data.Ratings, data.Scale);
            var datasetId = store.LogDataset(ExperimentId, data.Name, Digest(data.Ratings), DisplayPath(data.Source), data.Ratings.Count);
            run.LogInput(datasetId, "training");

            var model = algorithm.Fit(trainset, e =>
            {
                run.LogMetric("train_rmse", e.TrainRmse, e.Epoch);
                onEpoch?.Invoke(e);
            }, cancellationToken);

            foreach (var (key, value) in Metrics(result))
            {
                run.LogMetric(key, value);
            }

            var saved = SavedModel.From(model, trainset, data.Titles, algorithm.Parameters);
            var modelUuid = Guid.NewGuid().ToString("N");
            var created = DateTime.UtcNow;
            foreach (var (name, content) in ModelArtifact.Build(saved, run.RunId, modelUuid, created))
            {
                run.WriteArtifact($"{ModelArtifact.ArtifactPath}/{name}", content);
            }

            run.WriteArtifact("evaluation.json", EvaluationJson.Result(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            var counts = new int[trainset.ItemCount];
            foreach (var i in trainset.ItemIndex)
            {
                counts[i]++;
            }

            if (ItemMapSvg.Render(model, data.Titles, counts) is { } svg)
            {
                run.WriteArtifact("item_map.svg", svg);
            }

            run.SetTag("mlflow.log-model.history", ModelHistory(run.RunId, model, modelUuid, created));
            run.SetTag("mlflow.note.content", Note(algorithm, data, split, result, model));
            run.End(RunStatus.Finished);
            return new RecordedRun(ExperimentId, run.RunId, algorithm.DisplayName, result);
        }
        catch (Exception ex)
        {
            run.End(ex is OperationCanceledException ? RunStatus.Killed : RunStatus.Failed, ex.Message);
            throw;
        }
    }

    /// <summary>The metrics of a run: cross-validated means and standard deviations, and times.</summary>
    public static IReadOnlyList<(string Key, double Value)> Metrics(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var k = result.K.ToString(CultureInfo.InvariantCulture);
        return
        [
            ("rmse", result.Rmse.Mean), ("rmse_std", result.Rmse.Std),
            ("mae", result.Mae.Mean), ("mae_std", result.Mae.Std),
            ($"precision_at_{k}", result.PrecisionAtK.Mean), ($"precision_at_{k}_std", result.PrecisionAtK.Std),
            ($"recall_at_{k}", result.RecallAtK.Mean), ($"recall_at_{k}_std", result.RecallAtK.Std),
            ($"ndcg_at_{k}", result.NdcgAtK.Mean), ($"ndcg_at_{k}_std", result.NdcgAtK.Std),
            ("fit_time_s", result.FitSeconds.Mean), ("test_time_s", result.TestSeconds.Mean),
        ];
    }

    /// <summary>A short digest of the ratings (8 hex digits, as MLflow's dataset digests).</summary>
    public static string Digest(IReadOnlyList<RawRating> ratings)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var r in ratings)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{r.User}\t{r.Item}\t{r.Value:R}\n")));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset())[..8];
    }

    /// <summary>A source path relative to the working directory when it lies below it (the repository root), so the store says nothing of this machine.</summary>
    private static string DisplayPath(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private void SetSourceTags(IRunWriter run)
    {
        run.SetTag("mlflow.source.name", SourceName);
        run.SetTag("mlflow.source.type", "LOCAL");
        if (GitCommit is not null)
        {
            run.SetTag("mlflow.source.git.commit", GitCommit);
        }
    }

    private static string ModelHistory(string runId, FactorModel model, string modelUuid, DateTime created) =>
        JsonSerializer.Serialize(new object[]
        {
            new Dictionary<string, object>
            {
                ["run_id"] = runId,
                ["artifact_path"] = ModelArtifact.ArtifactPath,
                ["utc_time_created"] = MlflowNames.FormatModelTime(created),
                ["flavors"] = ModelArtifact.Flavors(model),
                ["model_uuid"] = modelUuid,
                ["mlflow_version"] = ModelArtifact.MlflowVersion,
            },
        });

    private static string Note(IRecommenderAlgorithm algorithm, RatingData data, string split, EvaluationResult result, FactorModel model)
    {
        var k = result.K;
        return string.Create(CultureInfo.InvariantCulture, $"""
            **{algorithm.DisplayName}** on **{data.Name}** ({data.Ratings.Count:N0} ratings, {model.Users.Count:N0} users, {model.Items.Count:N0} items), {split}.

            | metric | mean | std |
            |---|---:|---:|
            | RMSE | {result.Rmse.Mean:F4} | {result.Rmse.Std:F4} |
            | MAE | {result.Mae.Mean:F4} | {result.Mae.Std:F4} |
            | precision@{k} | {result.PrecisionAtK.Mean:F4} | {result.PrecisionAtK.Std:F4} |
            | recall@{k} | {result.RecallAtK.Mean:F4} | {result.RecallAtK.Std:F4} |
            | NDCG@{k} | {result.NdcgAtK.Mean:F4} | {result.NdcgAtK.Std:F4} |
            | fit time (s) | {result.FitSeconds.Mean:F3} | {result.FitSeconds.Std:F3} |

            The model artifact was fitted on all the ratings after cross-validation; `train_rmse` is its learning curve.
            """);
    }
}
