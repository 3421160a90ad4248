using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Training;

/// <summary>What to train and what to do with the results.</summary>
internal sealed record TrainingRequest
{
    public required TrainingData Data { get; init; }

    public required ParameterGrid Grid { get; init; }

    /// <summary>Cut-off of the ranking metrics.</summary>
    public int K { get; init; } = 10;

    /// <summary>A test rating at or above this is relevant.</summary>
    public double RelevanceThreshold { get; init; } = 4.0;

    /// <summary>Record each configuration as an MLflow run (a sweep under a parent run).</summary>
    public bool Track { get; init; } = true;

    public string Experiment { get; init; } = LatentLensConventions.ExperimentName;

    /// <summary>Register every recorded run's model and move the champion to the best run by <see cref="PromoteBy"/>.</summary>
    public bool Register { get; init; }

    public string PromoteBy { get; init; } = ChampionResolver.FallbackMetric;

    /// <summary>Recorded as <c>mlflow.source.name</c>.</summary>
    public string SourceName { get; init; } = "LatentLens.Api train";

    /// <summary>The most memory a configuration's model may need; null: <see cref="ModelSizeGuard.DefaultLimitBytes"/>.</summary>
    public long? MemoryLimitBytes { get; init; }
}

/// <summary>What a training did: the evaluation of every configuration and, when tracked, its runs, versions and the champion.</summary>
internal sealed record TrainingOutcome(
    IReadOnlyList<EvaluationResult> Results,
    IReadOnlyList<RecordedRun> Runs,
    string? ParentRunId,
    IReadOnlyList<(RecordedRun Run, int Version)> Registered,
    PromotionResult? Promotion);

/// <summary>Progress of a training, for whoever shows it: evaluation progress, messages, and each configuration's result as soon as it is known.</summary>
internal interface ITrainingProgress : IEvaluationProgress
{
    void Message(string text);

    void Evaluated(EvaluationResult result);
}

/// <summary>
/// Train → evaluate → record → register → promote, once, for every caller: the <c>train</c>
/// command (which the app host's trainer runs) and any future caller. Callers only say what to train
/// (<see cref="TrainingRequest"/>) and show the progress.
/// </summary>
internal static class TrainingPipeline
{
    /// <summary>
    /// Checks what a request asks before any data is read: <c>--register</c> needs recorded runs, the metric that
    /// promotes must be known, and each configuration of the grid must build its algorithm. Returns the configurations.
    /// </summary>
    public static IReadOnlyList<AlgorithmSettings> Validate(ParameterGrid grid, bool track, bool register, string promoteBy)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (register && !track)
        {
            throw new ArgumentException("--register needs the runs recorded: drop --no-track.");
        }

        MetricCatalog.HigherIsBetter(promoteBy);
        var configurations = grid.Configurations();
        foreach (var settings in configurations)
        {
            AlgorithmFactory.Create(settings);
        }

        return configurations;
    }

    public static TrainingOutcome Run(ITrackingStore? store, TrainingRequest request, ITrainingProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var configurations = Validate(request.Grid, request.Track, request.Register, request.PromoteBy);
        if (request.Track && store is null)
        {
            throw new ArgumentException("Recording runs needs a tracking store.", nameof(store));
        }

        var data = request.Data;
        using var activity = TrainingTelemetry.ActivitySource.StartActivity("train");
        activity?.SetTag("latentlens.data", data.Data.Name).SetTag("latentlens.splits", data.SplitDescription).SetTag("latentlens.configurations", configurations.Count);
        var observed = TrainingTelemetry.Observe(progress);
        progress = observed;
        TrainingRecorder? recorder = null;
        IRunWriter? parent = null;
        if (request.Track)
        {
            recorder = new TrainingRecorder(store!, store!.GetOrCreateExperiment(request.Experiment)) { SourceName = request.SourceName };
            progress?.Message($"Recording runs in {store.Location}, experiment '{request.Experiment}'.");
            if (configurations.Count > 1)
            {
                parent = recorder.StartParent(request.Grid.SweepName(configurations.Count), request.Grid.AsParams());
            }
        }

        var users = data.Data.Ratings.Select(r => r.User).Distinct(StringComparer.Ordinal).Count();
        var items = data.Data.Ratings.Select(r => r.Item).Distinct(StringComparer.Ordinal).Count();
        var limit = request.MemoryLimitBytes ?? ModelSizeGuard.DefaultLimitBytes;
        foreach (var settings in configurations)
        {
            ModelSizeGuard.Check(settings, users, items, limit);
        }

        var results = new List<EvaluationResult>();
        var recorded = new List<RecordedRun>();
        try
        {
            foreach (var settings in configurations)
            {
                var algorithm = DivergenceGuard.Wrap(AlgorithmFactory.Create(settings));
                using var evaluation = TrainingTelemetry.ActivitySource.StartActivity("evaluate");
                evaluation?.SetTag("latentlens.algorithm", algorithm.DisplayName);
                observed.Algorithm = algorithm.DisplayName;
                progress?.Message($"Evaluating {algorithm.DisplayName} ...");
                EvaluationResult result;
                try
                {
                    result = Evaluator.Evaluate(algorithm, data.Splits, data.Data.Scale, request.K, request.RelevanceThreshold, progress, cancellationToken);
                }
                catch (ModelDivergedException ex) when (recorder is not null)
                {
                    // The configuration's run exists only as a failure: its params and why, no metrics, no model.
                    var runId = recorder.RecordFailure(algorithm, data.Data, data.SplitDescription, ex.Message, parent?.RunId);
                    progress?.Message($"  recorded failed run {runId} ({algorithm.DisplayName})");
                    throw;
                }

                results.Add(result);
                progress?.Evaluated(result);
                if (recorder is not null)
                {
                    progress?.Message($"  fitting {algorithm.DisplayName} on all {data.Data.Ratings.Count:N0} ratings and recording the run ...");
                    using var recording = TrainingTelemetry.ActivitySource.StartActivity("record");
                    var run = recorder.Record(algorithm, data.Data, data.SplitDescription, result, parent?.RunId, cancellationToken: cancellationToken);
                    recorded.Add(run);
                    recording?.SetTag("mlflow.run_id", run.RunId);
                    progress?.Message($"  recorded run {run.RunId} ({run.Name})");
                }
            }

            if (parent is not null)
            {
                recorder!.FinishParent(parent, recorded, request.PromoteBy);
                progress?.Message($"Sweep recorded as parent run {parent.RunId}.");
            }
        }
        catch (Exception ex) when (parent is not null && parent.EndedWith is null)
        {
            parent.End(ex is OperationCanceledException ? RunStatus.Killed : RunStatus.Failed, ex.Message);
            throw;
        }

        var (registered, promotion) = RegisterAndPromote(store, request, recorded, progress);
        return new TrainingOutcome(results, recorded, parent?.RunId, registered, promotion);
    }

    /// <summary>With <c>--register</c>: every recorded run's model as a version, then the champion moved to the best by <see cref="TrainingRequest.PromoteBy"/>.</summary>
    internal static (IReadOnlyList<(RecordedRun Run, int Version)> Registered, PromotionResult? Promotion) RegisterAndPromote(
        ITrackingStore? store, TrainingRequest request, IReadOnlyList<RecordedRun> recorded, ITrainingProgress? progress)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(recorded);
        var registered = new List<(RecordedRun, int)>();
        if (!request.Register)
        {
            return (registered, null);
        }

        foreach (var run in recorded)
        {
            var version = store!.RegisterVersion(LatentLensConventions.RegisteredModelName, run.ExperimentId, run.RunId, description: run.Name);
            registered.Add((run, version));
            progress?.Message($"Registered {run.Name} as {LatentLensConventions.RegisteredModelName} version {version}.");
        }

        var promotion = Promotion.PromoteBest(store!, request.Experiment, request.PromoteBy);
        progress?.Message(promotion.Message);
        return (registered, promotion);
    }
}
