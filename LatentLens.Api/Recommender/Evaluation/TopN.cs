using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>
/// Top-k metrics of the lists a model serves, over the whole catalogue (see <see cref="TopN"/>).
/// <see cref="Users"/> is the number of test users they average over.
/// </summary>
internal sealed record RankingMetrics(double Precision, double Recall, double Ndcg, double Map, double HitRate, double Coverage, double Novelty, int Users)
{
    public static RankingMetrics None { get; } = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);
}

/// <summary>One user's served list (dense item indices, best first) and what was relevant in the test set.</summary>
/// <param name="Recommended">The top k of the user's candidates, best first.</param>
/// <param name="Relevant">The relevant test items that the model knows (dense indices).</param>
/// <param name="RelevantCount">All relevant test items, those the model never saw in training included (they can never be hit).</param>
internal sealed record UserList(IReadOnlyList<int> Recommended, IReadOnlySet<int> Relevant, int RelevantCount);

/// <summary>
/// Catalogue-wide top-N evaluation, measuring what the API serves. For each test user:
/// candidates are the items of the training ratings the user did not rate in training; the list is
/// the user's top k candidates by the model's ranking score, ranked by the same code as
/// <c>GET /users/{id}/recommendations</c> (<see cref="FoldIns.RecommendTrained"/>); relevant items are the
/// user's test items rated at or above the threshold. Averaged over the test users who are in the
/// training data and have at least one relevant item:
/// precision@k = hits / k; recall@k = hits / |relevant|; NDCG@k with binary gains and discount
/// 1/log2(rank + 1), the ideal DCG over min(k, |relevant|) hits; MAP@k = the mean of precision at the
/// rank of each hit, summed and divided by min(k, |relevant|); hit rate@k = the share of users with a
/// hit. Over the same users' lists: coverage@k = distinct listed items / candidate items (items in
/// training); novelty@k = the mean over all listed items of −log2(n_i / |U|), n_i the item's training
/// ratings and |U| the training users (the share of users who rated it).
/// </summary>
internal static class TopN
{
    /// <summary>Ranks the catalogue for every test user with the model and measures the lists.</summary>
    public static RankingMetrics Evaluate(SavedModel saved, IReadOnlyList<RawRating> test, int k, double threshold)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(test);
        var model = saved.Model;
        var relevant = new Dictionary<int, (HashSet<int> Known, int Count)>();
        foreach (var r in test)
        {
            if (r.Value < threshold || !model.Users.TryGetIndex(r.User, out var u))
            {
                continue;
            }

            if (!relevant.TryGetValue(u, out var entry))
            {
                entry = ([], 0);
            }

            if (model.Items.TryGetIndex(r.Item, out var i))
            {
                entry.Known.Add(i);
            }

            relevant[u] = (entry.Known, entry.Count + 1);
        }

        var lists = new List<UserList>(relevant.Count);
        var foldIn = FoldIns.RanksTrainedUsersByHistory(saved) ? FoldIns.For(saved) : null;
        foreach (var (user, (known, count)) in relevant.OrderBy(e => e.Key))
        {
            var top = FoldIns.RecommendTrained(saved, user, k, excludeRated: true, foldIn);
            lists.Add(new UserList([.. top.Select(t => t.Item)], known, count));
        }

        var ratingsPerItem = Ranker.ItemSupport(saved);
        var users = model.Users.Count;
        return Measure(lists, k, model.Items.Count, item => -Math.Log2((double)ratingsPerItem[item] / users));
    }

    /// <summary>The metrics of given lists; <paramref name="novelty"/> gives −log2(popularity share) of an item.</summary>
    public static RankingMetrics Measure(IReadOnlyList<UserList> lists, int k, int candidateItems, Func<int, double> novelty)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(novelty);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        double precision = 0, recall = 0, ndcg = 0, map = 0, hitUsers = 0, noveltySum = 0;
        var users = 0;
        var listed = 0;
        var distinct = new HashSet<int>();
        foreach (var list in lists.Where(l => l.RelevantCount > 0))
        {
            users++;
            var hits = 0;
            double dcg = 0, precisionAtHits = 0;
            var length = Math.Min(k, list.Recommended.Count);
            for (var rank = 0; rank < length; rank++)
            {
                var item = list.Recommended[rank];
                distinct.Add(item);
                noveltySum += novelty(item);
                listed++;
                if (list.Relevant.Contains(item))
                {
                    hits++;
                    dcg += 1.0 / Math.Log2(rank + 2);
                    precisionAtHits += (double)hits / (rank + 1);
                }
            }

            double ideal = 0;
            for (var rank = 0; rank < Math.Min(k, list.RelevantCount); rank++)
            {
                ideal += 1.0 / Math.Log2(rank + 2);
            }

            precision += (double)hits / k;
            recall += (double)hits / list.RelevantCount;
            ndcg += dcg / ideal;
            map += precisionAtHits / Math.Min(k, list.RelevantCount);
            hitUsers += hits > 0 ? 1 : 0;
        }

        return users == 0
            ? RankingMetrics.None
            : new RankingMetrics(precision / users, recall / users, ndcg / users, map / users, hitUsers / users,
                candidateItems == 0 ? 0 : (double)distinct.Count / candidateItems, listed == 0 ? 0 : noveltySum / listed, users);
    }
}
