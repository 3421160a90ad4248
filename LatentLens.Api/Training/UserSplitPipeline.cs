using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Training;

/// <summary>
/// <c>train --split users</c>: every configuration evaluated on a user-level split (<see cref="UserSplitEvaluator"/>: fold-in
/// through the API's code path, the retrained ceiling, popularity) and recorded as an MLflow run like any evaluation: the
/// run's ordinary metrics are the folded-in users' (its <c>split</c> param says so), the <see cref="MetricCatalog.UserSplit"/>
/// metrics beside them, the model fitted on all the ratings. Registering and promoting work as in <see cref="TrainingPipeline"/>.
/// </summary>
internal static class UserSplitPipeline
{
    public static (TrainingOutcome Outcome, IReadOnlyList<UserSplitResult> Results) Run(
        ITrackingStore? store, TrainingRequest request, UserSplit split, ITrainingProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(split);
        var configurations = TrainingPipeline.Validate(request.Grid, request.Track, request.Register, request.PromoteBy);
        if (request.Track && store is null)
        {
            throw new ArgumentException("Recording runs needs a tracking store.", nameof(store));
        }

        var data = request.Data;
        using var activity = TrainingTelemetry.ActivitySource.StartActivity("train");
        activity?.SetTag("latentlens.data", data.Data.Name).SetTag("latentlens.splits", split.Description).SetTag("latentlens.configurations", configurations.Count);
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

        var results = new List<UserSplitResult>();
        var recorded = new List<RecordedRun>();
        try
        {
            foreach (var settings in configurations)
            {
                var algorithm = DivergenceGuard.Wrap(AlgorithmFactory.Create(settings));
                using var evaluation = TrainingTelemetry.ActivitySource.StartActivity("evaluate");
                evaluation?.SetTag("latentlens.algorithm", algorithm.DisplayName);
                progress?.Message($"Evaluating {algorithm.DisplayName} on the user split ...");
                var result = UserSplitEvaluator.Evaluate(algorithm, split, data.Data.Scale, request.K, request.RelevanceThreshold, progress, cancellationToken);
                results.Add(result);
                progress?.Evaluated(result.Evaluation);
                if (recorder is not null)
                {
                    progress?.Message($"  fitting {algorithm.DisplayName} on all {data.Data.Ratings.Count:N0} ratings and recording the run ...");
                    var extra = MetricCatalog.UserSplit(request.K).Select(m => (m.Key, m.Value(result))).ToList();
                    var run = recorder.Record(algorithm, data.Data, split.Description, result.Evaluation, parent?.RunId, cancellationToken: cancellationToken, extraMetrics: extra);
                    recorded.Add(run);
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

        var registered = new List<(RecordedRun, int)>();
        PromotionResult? promotion = null;
        if (request.Register)
        {
            foreach (var run in recorded)
            {
                var version = store!.RegisterVersion(LatentLensConventions.RegisteredModelName, run.ExperimentId, run.RunId, description: run.Name);
                registered.Add((run, version));
                progress?.Message($"Registered {run.Name} as {LatentLensConventions.RegisteredModelName} version {version}.");
            }

            promotion = Promotion.PromoteBest(store!, request.Experiment, request.PromoteBy);
            progress?.Message(promotion.Message);
        }

        return (new TrainingOutcome([.. results.Select(r => r.Evaluation)], recorded, parent?.RunId, registered, promotion), results);
    }
}
