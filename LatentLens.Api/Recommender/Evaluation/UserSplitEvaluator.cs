using System.Diagnostics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>
/// One configuration on a <see cref="UserSplit"/>: <see cref="Evaluation"/> is the fold-in evaluation (one fold, named
/// <c>users</c>, its ranking metrics those of the folded-in users, its RMSE/MAE the folded-in users' test predictions);
/// <see cref="Retrained"/> the same family fitted with the held-out users' histories included (the ceiling);
/// <see cref="Popularity"/> the most-popular list on the same split.
/// </summary>
internal sealed record UserSplitResult(
    EvaluationResult Evaluation,
    RankingMetrics Retrained,
    RankingMetrics Popularity,
    double RetrainFitSeconds,
    double FoldInMicroseconds,
    int HeldOutUsers,
    int PopularityFallbacks)
{
    public RankingMetrics FoldIn => Evaluation.Folds[0].Ranking;

    public double FitSeconds => Evaluation.Folds[0].FitSeconds;
}

/// <summary>
/// Measures fold-in as users meet it, through the code path the API serves (<see cref="FoldIns.For"/>, <see cref="IFoldIn.Fold"/>,
/// <see cref="FoldIns.Recommend"/>): the model is fitted on the training users; for each held-out user the history's known items
/// are folded in (unknown items are ignored, as the API ignores them; no known item: the most-popular list, as the API's
/// <c>basis: popularity</c>), the history's items are excluded, and the top k of the remaining catalogue is measured against the
/// user's test ratings exactly as <see cref="TopN"/> measures trained users (relevant: rated at or above the threshold; the
/// ideal DCG counts relevant test items the model never saw). The retrained ceiling fits the same configuration on the
/// training users plus every held-out history and ranks those users as trained users (<see cref="FoldIns.RecommendTrained"/>, their
/// histories excluded); popularity is the <c>popular</c> family folded in on the same split.
/// </summary>
internal static class UserSplitEvaluator
{
    public static UserSplitResult Evaluate(
        IRecommenderAlgorithm algorithm, UserSplit split, RatingScale scale, int k = 10, double threshold = 4.0,
        IEvaluationProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        ArgumentNullException.ThrowIfNull(split);
        algorithm.WarmUp();
        progress?.FoldStarted("users", 1, 2);
        var epochs = new List<EpochReport>();
        var trainset = Trainset.Build(split.Train, scale);
        var clock = Stopwatch.StartNew();
        var model = algorithm.Fit(trainset, e => { epochs.Add(e); progress?.Epoch("users", e); }, cancellationToken);
        var fitSeconds = clock.Elapsed.TotalSeconds;
        var saved = SavedModel.From(model, trainset, new Dictionary<string, string>(), algorithm.Parameters);

        clock.Restart();
        var (lists, predictions, foldSeconds, fallbacks) = FoldInLists(saved, split, k, threshold);
        var foldIn = Measure(saved, lists, k);
        double rmse = double.NaN, mae = double.NaN;
        if (model.PredictsRatings)
        {
            (rmse, mae) = (Accuracy.Rmse(predictions), Accuracy.Mae(predictions));
        }

        var testSeconds = clock.Elapsed.TotalSeconds;
        var fold = new FoldResult("users", split.Train.Count, split.HeldOut.Sum(u => u.Test.Count), rmse, mae, foldIn, fitSeconds, testSeconds, epochs);
        progress?.FoldFinished(fold);

        // The ceiling: the same configuration with the held-out histories in training.
        cancellationToken.ThrowIfCancellationRequested();
        progress?.FoldStarted("users, retrained", 2, 2);
        var withHistories = Trainset.Build([.. split.Train, .. split.HeldOut.SelectMany(u => u.History)], scale);
        clock.Restart();
        var retrainedModel = algorithm.Fit(withHistories, null, cancellationToken);
        var retrainSeconds = clock.Elapsed.TotalSeconds;
        var retrained = SavedModel.From(retrainedModel, withHistories, new Dictionary<string, string>(), algorithm.Parameters);
        var retrainedLists = new List<UserList>(split.HeldOut.Count);
        // A model without user factors (ease) ranks its trained users through the fold-in of their training history.
        var retrainedFoldIn = FoldIns.RanksTrainedUsersByHistory(retrained) ? FoldIns.For(retrained) : null;
        foreach (var user in split.HeldOut)
        {
            var (known, count) = Relevant(retrainedModel, user, threshold);
            var u = retrainedModel.Users.TryGetIndex(user.User, out var index) ? index : throw new UnreachableException("a held-out user with a history is in the retrained model");
            retrainedLists.Add(new UserList([.. FoldIns.RecommendTrained(retrained, u, k, excludeRated: true, retrainedFoldIn).Select(s => s.Item)], known, count));
        }

        var popular = new Popular(new PopularOptions()).Fit(trainset, null, cancellationToken);
        var popularSaved = SavedModel.From(popular, trainset, new Dictionary<string, string>(), new Dictionary<string, string>());
        var popularity = Measure(popularSaved, FoldInLists(popularSaved, split, k, threshold).Lists, k);
        var evaluation = new EvaluationResult(algorithm.Name, algorithm.DisplayName, algorithm.Parameters, k, threshold, [fold]);
        return new UserSplitResult(evaluation, Measure(retrained, retrainedLists, k), popularity, retrainSeconds,
            foldSeconds / Math.Max(1, split.HeldOut.Count) * 1e6, split.HeldOut.Count, fallbacks);
    }

    private static RankingMetrics Measure(SavedModel saved, IReadOnlyList<UserList> lists, int k)
    {
        var support = Ranker.ItemSupport(saved);
        var users = saved.Model.Users.Count;
        return TopN.Measure(lists, k, saved.Model.Items.Count, item => -Math.Log2((double)support[item] / users));
    }

    private static (HashSet<int> Known, int Count) Relevant(FactorModel model, HeldOutUser user, double threshold)
    {
        var known = new HashSet<int>();
        var count = 0;
        foreach (var r in user.Test.Where(r => r.Value >= threshold))
        {
            count++;
            if (model.Items.TryGetIndex(r.Item, out var i))
            {
                known.Add(i);
            }
        }

        return (known, count);
    }

    /// <summary>Each held-out user folded in and ranked as the API does; the test predictions of rating models; the seconds spent folding and ranking.</summary>
    private static (List<UserList> Lists, List<TestPrediction> Predictions, double Seconds, int Fallbacks) FoldInLists(SavedModel saved, UserSplit split, int k, double threshold)
    {
        var model = saved.Model;
        var foldIn = FoldIns.For(saved) ?? throw new ArgumentException($"'{model.Algorithm}' has no fold-in.", nameof(saved));
        var popularOrder = PopularityScores(saved);
        var lists = new List<UserList>(split.HeldOut.Count);
        var predictions = new List<TestPrediction>();
        var seconds = 0.0;
        var fallbacks = 0;
        foreach (var user in split.HeldOut)
        {
            var history = new List<HistoryEntry>(user.History.Count);
            foreach (var r in user.History)
            {
                if (model.Items.TryGetIndex(r.Item, out var i))
                {
                    history.Add(new HistoryEntry(i, foldIn.NeedsRatings ? r.Value : float.NaN));
                }
            }

            var excluded = history.Select(h => h.Item).ToArray();
            var started = Stopwatch.GetTimestamp();
            ScoredItem[] top;
            FoldedUser? folded = null;
            if (history.Count == 0)
            {
                fallbacks++;
                top = Scoring.SelectTop(popularOrder, k);
            }
            else
            {
                folded = foldIn.Fold(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(history));
                top = FoldIns.Recommend(foldIn, folded, k, excluded);
            }

            seconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
            var (known, count) = Relevant(model, user, threshold);
            lists.Add(new UserList([.. top.Select(s => s.Item)], known, count));
            if (model.PredictsRatings)
            {
                foreach (var r in user.Test)
                {
                    var itemKnown = model.Items.TryGetIndex(r.Item, out var i);
                    var estimate = model.GlobalMean + (folded?.Bias ?? 0);
                    if (itemKnown)
                    {
                        estimate += model.ItemBias[i];
                        if (folded is not null && model.Factors > 0)
                        {
                            estimate += System.Numerics.Tensors.TensorPrimitives.Dot(folded.Vector, model.ItemFactors.AsSpan(i * model.Stride, model.Stride));
                        }
                    }

                    predictions.Add(new TestPrediction(user.User, r.Item, r.Value, model.Scale.Clip((float)estimate), !itemKnown || folded is null));
                }
            }
        }

        return (lists, predictions, seconds, fallbacks);
    }

    /// <summary>The most-popular order as scores (training ratings per item): the list of a history with no known item.</summary>
    private static float[] PopularityScores(SavedModel saved) => Array.ConvertAll(Ranker.ItemSupport(saved), c => (float)c);
}
