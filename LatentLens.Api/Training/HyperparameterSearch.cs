using System.Globalization;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Evaluation.Search;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Training;

/// <summary>What a search did: the pipeline's outcome (one result per algorithm: the chosen setting on the test set) and, per result, its search.</summary>
internal sealed record SearchOutcome(TrainingOutcome Training, IReadOnlyList<SearchResult?> Searches, string Validation);

/// <summary>
/// <c>train --search N</c>: for each algorithm, N trials of <see cref="RandomSearch"/> scored on validation data
/// carved from the training ratings (<see cref="ValidationSplit"/>) by <see cref="TrainingRequest.PromoteBy"/>;
/// the best setting is then evaluated as any configuration is (fitted on each split's training part, measured
/// on its test part) and recorded as the run to promote, with its model. Tracked, each algorithm's search is a
/// parent run whose children are the trials (params and validation metrics, no model) and the chosen run.
/// An algorithm with nothing to search (<c>popular</c>) is evaluated and recorded once, on its own.
/// </summary>
internal static class HyperparameterSearch
{
    /// <summary>Checks a search request before any data is read: the grid may name algorithms, not values (the search chooses them).</summary>
    public static void Validate(ParameterGrid grid, bool track, bool register, string promoteBy, int trials)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        (string Option, bool Given)[] lists =
        [
            ("--factors", grid.Factors.Count > 0), ("--epochs", grid.Epochs.Count > 0), ("--lr", grid.LearningRates.Count > 0),
            ("--reg", grid.Regularizations.Count > 0), ("--alpha", grid.Alphas.Count > 0), ("--samples", grid.Samples.Count > 0),
            ("--burn-in", grid.BurnIns.Count > 0), ("--thin", grid.Thin is not null), ("--no-implicit", grid.Implicit is not null),
            ("--no-item-implicit", grid.ItemImplicit is not null), ("--scale-reg", grid.ScaleRegularization is not null),
        ];
        foreach (var (option, given) in lists.Where(l => l.Given))
        {
            throw new ArgumentException($"--search chooses the settings itself: drop {option} (docs/training.md lists the ranges it searches).");
        }

        TrainingPipeline.Validate(ParameterGrid.Single(grid.Algorithms[0], grid.Seed) with { Algorithms = grid.Algorithms }, track, register, promoteBy);
    }

    public static SearchOutcome Run(ITrackingStore? store, TrainingRequest request, int trials, ITrainingProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request.Grid, request.Track, request.Register, request.PromoteBy, trials);
        if (request.Track && store is null)
        {
            throw new ArgumentException("Recording runs needs a tracking store.", nameof(store));
        }

        var data = request.Data;
        var seed = request.Grid.Seed;
        var metric = MetricCatalog.Find(request.PromoteBy);
        var validation = ValidationSplit.Carve(data.Splits, seed);
        var validationText = ValidationSplit.Describe(data.Splits, seed);
        using var activity = TrainingTelemetry.ActivitySource.StartActivity("search");
        activity?.SetTag("latentlens.data", data.Data.Name).SetTag("latentlens.search.trials", trials);
        TrainingRecorder? recorder = null;
        if (request.Track)
        {
            recorder = new TrainingRecorder(store!, store!.GetOrCreateExperiment(request.Experiment)) { SourceName = request.SourceName };
            progress?.Message($"Recording runs in {store.Location}, experiment '{request.Experiment}'.");
        }

        progress?.Message($"Search: {trials} trial(s) per algorithm, scored by {metric.Key} on validation data: {validationText}.");
        var results = new List<EvaluationResult>();
        var searches = new List<SearchResult?>();
        var recorded = new List<RecordedRun>();
        foreach (var algorithm in request.Grid.Algorithms.Distinct(StringComparer.Ordinal))
        {
            if (SearchSpace.For(algorithm).Count == 0)
            {
                progress?.Message($"{algorithm}: nothing to search, trained once with its defaults.");
                var once = DivergenceGuard.Wrap(AlgorithmFactory.Create(new AlgorithmSettings(algorithm, Seed: seed)));
                var result = Evaluator.Evaluate(once, data.Splits, data.Data.Scale, request.K, request.RelevanceThreshold, progress, cancellationToken);
                results.Add(result);
                searches.Add(null);
                progress?.Evaluated(result);
                if (recorder is not null)
                {
                    recorded.Add(Record(recorder, once, request, result, parentRunId: null, progress, cancellationToken));
                }

                continue;
            }

            var (chosen, search, run) = SearchOne(algorithm, trials, validation, validationText, recorder, request, metric, progress, cancellationToken);
            results.Add(chosen);
            searches.Add(search);
            if (run is not null)
            {
                recorded.Add(run);
            }
        }

        var (registered, promotion) = TrainingPipeline.RegisterAndPromote(store, request, recorded, progress);
        return new SearchOutcome(new TrainingOutcome(results, recorded, null, registered, promotion), searches, validationText);
    }

    private static (EvaluationResult Chosen, SearchResult Search, RecordedRun? Run) SearchOne(
        string algorithm, int trials, IReadOnlyList<Split> validation, string validationText, TrainingRecorder? recorder,
        TrainingRequest request, MetricDefinition metric, ITrainingProgress? progress, CancellationToken cancellationToken)
    {
        var data = request.Data;
        var seed = request.Grid.Seed;
        var parent = recorder?.StartParent($"search-{algorithm}-{trials}", new Dictionary<string, string>
        {
            ["search.algorithm"] = algorithm,
            ["search.trials"] = trials.ToString(CultureInfo.InvariantCulture),
            ["search.method"] = "random (trial 1: the defaults)",
            ["search.ranges"] = SearchSpace.Describe(algorithm),
            ["search.metric"] = "validation " + metric.Key,
            ["search.validation"] = validationText,
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
        });
        try
        {
            var users = data.Data.Ratings.Select(r => r.User).Distinct(StringComparer.Ordinal).Count();
            var items = data.Data.Ratings.Select(r => r.Item).Distinct(StringComparer.Ordinal).Count();
            foreach (var settings in SearchSpace.Trials(algorithm, trials, seed))
            {
                ModelSizeGuard.Check(settings, users, items, request.MemoryLimitBytes ?? ModelSizeGuard.DefaultLimitBytes);
            }

            var search = RandomSearch.Run(algorithm, trials, validation, data.Data.Scale, metric, request.K, request.RelevanceThreshold, seed, (trial, best) =>
            {
                var score = trial.Failure is null ? trial.Score.ToString("F4", CultureInfo.InvariantCulture) : "diverged";
                progress?.Message(string.Create(CultureInfo.InvariantCulture,
                    $"  {algorithm} trial {trial.Number}/{trials}: {SearchSpace.Describe(trial.Settings)}  validation {metric.Key} {score}  ({trial.Seconds:F2} s)  best so far {best.Score:F4} (trial {best.Number})"));
                if (recorder is not null)
                {
                    recorder.RecordTrial(trial, data.Data, validationText, parent!.RunId);
                }
            }, cancellationToken);

            var best = search.Best;
            progress?.Message(string.Create(CultureInfo.InvariantCulture,
                $"{algorithm}: chose trial {best.Number} ({SearchSpace.Describe(best.Settings)}), validation {metric.Key} {best.Score:F4}, search {search.Seconds:F1} s; evaluating it on the test data ..."));
            var chosen = Evaluator.Evaluate(best.Algorithm, data.Splits, data.Data.Scale, request.K, request.RelevanceThreshold, progress, cancellationToken);
            progress?.Evaluated(chosen);
            RecordedRun? run = null;
            if (recorder is not null)
            {
                run = Record(recorder, best.Algorithm, request, chosen, parent!.RunId, progress, cancellationToken);
                recorder.FinishSearch(parent, search, run);
                progress?.Message($"Search recorded as parent run {parent.RunId}.");
            }

            return (chosen, search, run);
        }
        catch (Exception ex) when (parent is not null && parent.EndedWith is null)
        {
            parent.End(ex is OperationCanceledException ? RunStatus.Killed : RunStatus.Failed, ex.Message);
            throw;
        }
    }

    private static RecordedRun Record(TrainingRecorder recorder, IRecommenderAlgorithm algorithm, TrainingRequest request, EvaluationResult result, string? parentRunId, ITrainingProgress? progress, CancellationToken cancellationToken)
    {
        var data = request.Data;
        progress?.Message($"  fitting {algorithm.DisplayName} on all {data.Data.Ratings.Count:N0} ratings and recording the run ...");
        var run = recorder.Record(algorithm, data.Data, data.SplitDescription, result, parentRunId, cancellationToken: cancellationToken);
        progress?.Message($"  recorded run {run.RunId} ({run.Name})");
        return run;
    }
}
