using System.Globalization;
using System.Text.Json;
using System.Text;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Evaluation.Search;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Ranking;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Artifacts;

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

    /// <summary>Gives the parent the figures of the best child by <paramref name="metric"/> (in its better direction) and ends it.</summary>
    public void FinishParent(IRunWriter parent, IReadOnlyList<RecordedRun> children, string metric)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(children);
        var higher = MetricCatalog.HigherIsBetter(metric);
        double Score(RecordedRun c) => Metrics(c.Result).Where(m => m.Key == metric).Select(m => m.Value).DefaultIfEmpty(double.NaN).First();
        var ranked = children.Where(c => double.IsFinite(Score(c))).OrderBy(c => higher ? -Score(c) : Score(c)).ToList();
        var note = new StringBuilder();
        if (ranked.Count > 0)
        {
            var best = ranked[0];
            foreach (var (key, value) in Metrics(best.Result))
            {
                parent.LogMetric(key, value);
            }

            parent.SetTag("best_run_id", best.RunId);
            parent.SetTag("best_run_name", best.Name);
            note.Append(CultureInfo.InvariantCulture, $"Sweep of {children.Count} configurations. Best by {metric} ({(higher ? "higher" : "lower")} is better): **{best.Name}** (run `{best.RunId}`), {metric} {Score(best):F4}.\n\n");
        }
        else
        {
            note.Append(CultureInfo.InvariantCulture, $"Sweep of {children.Count} configurations; none has {metric}.\n\n");
        }

        var k = children.Count > 0 ? children[0].Result.K : 10;
        note.Append(CultureInfo.InvariantCulture, $"| run | RMSE | MAE | NDCG@{k} | MAP@{k} |\n|---|---:|---:|---:|---:|\n");
        foreach (var c in ranked.Concat(children.Except(ranked)))
        {
            note.Append(CultureInfo.InvariantCulture, $"| {c.Name} | {Cell(MetricCatalog.Rmse.Summary(c.Result).Mean)} | {Cell(MetricCatalog.Mae.Summary(c.Result).Mean)} | {Cell(MetricCatalog.NdcgAt(k).Summary(c.Result).Mean)} | {Cell(MetricCatalog.MapAt(k).Summary(c.Result).Mean)} |\n");
        }

        parent.SetTag("mlflow.note.content", note.ToString());
        parent.End(RunStatus.Finished);
    }

    /// <summary>
    /// Records one trial of a search as a child of <paramref name="parentRunId"/>: its params and its validation
    /// metrics, each named <c>validation_</c> + the metric (never the test metrics' names, so a trial is never
    /// taken for a servable run), and no model. A trial whose fit diverged is FAILED with the reason.
    /// </summary>
    public string RecordTrial(Trial trial, RatingData data, string validation, string parentRunId)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(data);
        var run = store.StartRun(ExperimentId, string.Create(CultureInfo.InvariantCulture, $"{trial.Algorithm.DisplayName}-trial{trial.Number}"), UserId);
        try
        {
            DescribeConfiguration(run, trial.Algorithm, data, validation, parentRunId);
            run.SetTag("latentlens.search.trial", trial.Number.ToString(CultureInfo.InvariantCulture));
            run.SetTag("latentlens.search.settings", SearchSpace.Describe(trial.Settings));
            if (trial.Validation is null)
            {
                run.End(RunStatus.Failed, trial.Failure);
                return run.RunId;
            }

            foreach (var (key, value) in Metrics(trial.Validation))
            {
                run.LogMetric("validation_" + key, value);
            }

            run.LogMetric("trial_time_s", trial.Seconds);
            run.End(RunStatus.Finished);
            return run.RunId;
        }
        catch (Exception ex) when (run.EndedWith is null)
        {
            run.End(ex is OperationCanceledException ? RunStatus.Killed : RunStatus.Failed, ex.Message);
            throw;
        }
    }

    /// <summary>Gives a search's parent the test figures of the refitted best setting, the trials' table as its note, and ends it.</summary>
    public void FinishSearch(IRunWriter parent, SearchResult search, RecordedRun chosen)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(search);
        ArgumentNullException.ThrowIfNull(chosen);
        foreach (var (key, value) in Metrics(chosen.Result))
        {
            parent.LogMetric(key, value);
        }

        var metric = search.Metric;
        parent.LogMetric("validation_" + metric.Key, search.Best.Score);
        parent.LogMetric("search_time_s", search.Seconds);
        parent.SetTag("best_run_id", chosen.RunId);
        parent.SetTag("best_run_name", chosen.Name);
        parent.SetTag("latentlens.search.chosen", SearchSpace.Describe(search.Best.Settings));
        var note = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"Random search of {search.Trials.Count} trials, scored by validation {metric.Key} ({(metric.HigherIsBetter ? "higher" : "lower")} is better). Chosen: trial {search.Best.Number} ({SearchSpace.Describe(search.Best.Settings)}), refitted on the training data as **{chosen.Name}** (run `{chosen.RunId}`): test {metric.Key} {metric.Summary(chosen.Result).Mean:F4}.\n\n"));
        note.Append(CultureInfo.InvariantCulture, $"| trial | settings | validation {metric.Key} | seconds |\n|---:|---|---:|---:|\n");
        foreach (var t in search.Trials.OrderBy(t => double.IsFinite(t.Score) ? (metric.HigherIsBetter ? -t.Score : t.Score) : double.PositiveInfinity))
        {
            note.Append(CultureInfo.InvariantCulture, $"| {t.Number} | {SearchSpace.Describe(t.Settings)} | {Cell(t.Score)} | {t.Seconds:F2} |\n");
        }

        parent.SetTag("mlflow.note.content", note.ToString());
        parent.End(RunStatus.Finished);
    }

    private static string Cell(double value) => double.IsNaN(value) ? "n/a" : value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>Records one evaluated configuration, fitting the final model on all of <paramref name="data"/>.</summary>
    public RecordedRun Record(
        IRecommenderAlgorithm algorithm,
        RatingData data,
        string split,
        EvaluationResult result,
        string? parentRunId = null,
        Action<EpochReport>? onEpoch = null,
        CancellationToken cancellationToken = default,
        IReadOnlyList<(string Key, double Value)>? extraMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(result);
        var run = store.StartRun(ExperimentId, algorithm.DisplayName, UserId);
        try
        {
            DescribeConfiguration(run, algorithm, data, split, parentRunId);
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

            // Beside the evaluation's own (a user-level split's fold-in, retrained and popularity figures).
            foreach (var (key, value) in extraMetrics ?? [])
            {
                if (double.IsFinite(value))
                {
                    run.LogMetric(key, value);
                }
            }

            foreach (var (step, value) in TestHistory(result))
            {
                run.LogMetric("test_rmse", value, step);
            }

            if (!result.PredictsRatings)
            {
                run.SetTag("latentlens.rmse", $"not applicable: {algorithm.Name} ranks items and does not predict ratings");
            }

            // Never an artifact of NaN or infinity, whoever built the algorithm: MLflow and numpy would load it.
            DivergenceGuard.EnsureFinite(model, algorithm);
            var saved = SavedModel.From(model, trainset, data.Titles, algorithm.Parameters) with { Genres = ItemGenres.From(model.Items, data.Genres) };
            var modelUuid = Guid.NewGuid().ToString("N");
            var created = DateTime.UtcNow;
            foreach (var (name, content) in ModelArtifact.Build(saved, run.RunId, modelUuid, created))
            {
                run.WriteArtifact($"{ModelArtifact.ArtifactPath}/{name}", content);
            }

            run.WriteArtifact("evaluation.json", EvaluationJson.Result(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            if (ItemMapSvg.Render(model, data.Titles, Ranker.ItemSupport(saved)) is { } svg)
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

    /// <summary>
    /// Records a configuration that failed before its model could be fitted (a fit that diverged in the
    /// evaluation): its params and dataset, no metrics, no artifacts, status FAILED with <paramref name="failure"/> in the note.
    /// </summary>
    public string RecordFailure(IRecommenderAlgorithm algorithm, RatingData data, string split, string failure, string? parentRunId = null)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        ArgumentNullException.ThrowIfNull(data);
        var run = store.StartRun(ExperimentId, algorithm.DisplayName, UserId);
        try
        {
            DescribeConfiguration(run, algorithm, data, split, parentRunId);
        }
        finally
        {
            run.End(RunStatus.Failed, failure);
        }

        return run.RunId;
    }

    /// <summary>
    /// The metrics of a run: each one of <see cref="MetricCatalog"/> as its mean over the splits and
    /// <c>_std</c> (times: the mean only). Metrics that do not apply to the model (RMSE of a model that
    /// only ranks) are left out rather than recorded as a meaningless number; the run's tags say why.
    /// </summary>
    public static IReadOnlyList<(string Key, double Value)> Metrics(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var metrics = new List<(string, double)>();
        foreach (var m in MetricCatalog.For(result.K))
        {
            var summary = m.Summary(result);
            if (double.IsNaN(summary.Mean))
            {
                continue;
            }

            metrics.Add((m.Key, summary.Mean));
            if (!m.Key.EndsWith("_time_s", StringComparison.Ordinal))
            {
                metrics.Add((m.Key + "_std", summary.Std));
            }
        }

        metrics.Add(("ranking_users", result.RankingUsers));
        return metrics;
    }

    /// <summary>
    /// The test RMSE per epoch (bpmf: per sample, of the running posterior mean) averaged over the splits,
    /// for the steps every split reported it; empty for algorithms that do not measure it as they go.
    /// </summary>
    public static IReadOnlyList<(int Step, double Value)> TestHistory(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Folds.Count == 0)
        {
            return [];
        }

        var steps = result.Folds.Min(f => f.Epochs.Count);
        var history = new List<(int, double)>(steps);
        for (var s = 0; s < steps; s++)
        {
            var values = result.Folds.Select(f => f.Epochs[s].TestRmse).ToList();
            if (values.All(double.IsFinite))
            {
                history.Add((result.Folds[0].Epochs[s].Epoch, values.Average()));
            }
        }

        return history;
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

    /// <summary>What every run of a configuration says about itself: source, parent, hyper-parameters, data and split.</summary>
    private void DescribeConfiguration(IRunWriter run, IRecommenderAlgorithm algorithm, RatingData data, string split, string? parentRunId)
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
        var table = new StringBuilder("| metric | mean | std |\n|---|---:|---:|\n");
        foreach (var m in MetricCatalog.For(result.K))
        {
            var summary = m.Summary(result);
            table.Append(CultureInfo.InvariantCulture, $"| {m.Label} | {Cell(summary.Mean)} | {Cell(summary.Std)} |\n");
        }

        return string.Create(CultureInfo.InvariantCulture, $"""
            **{algorithm.DisplayName}** on **{data.Name}** ({data.Ratings.Count:N0} ratings, {model.Users.Count:N0} users, {model.Items.Count:N0} items), {split}.

            {table}
            Top-{result.K} metrics rank the whole catalogue for each test user, as the API serves it (averaged over {result.RankingUsers:F0} users with a relevant test item).{(result.PredictsRatings ? string.Empty : " RMSE and MAE do not apply: the model ranks items and does not predict ratings.")}
            The model artifact was fitted on all the ratings after the evaluation; `train_rmse` is its learning curve.
            """);
    }
}
