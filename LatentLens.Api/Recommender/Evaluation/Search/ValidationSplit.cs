using System.Globalization;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Evaluation.Search;

/// <summary>
/// The data a search scores its trials on: carved from a split's <b>training</b> ratings only, so no
/// choice ever sees a test rating. Every user's training ratings are shuffled (seeded) and the share of all
/// ratings that the test part holds (<see cref="TestShare"/>) is held out again from each user, rounded,
/// keeping at least one rating for training. A k-fold or 90/10 split holds about that share of every user
/// (20 %, 10 %), so this is its test part's shape. MovieLens 100K's u1.test holds 20 % of the ratings, but
/// all from 459 of the 943 users (about 40 % of each); holding out 40 % of those users' training ratings
/// only (the per-user shape, used before) scored every trial on half the users, from histories a third
/// shorter than the final fit's. Holding out 20 % of every user's scores twice as many users and, over
/// three seeds on u1, chose settings as good or better on the test set (docs/benchmarks.md §29). Only the
/// test part's size is read, never its ratings.
/// </summary>
internal static class ValidationSplit
{
    /// <summary>The share of a split's ratings that its test part holds.</summary>
    public static double TestShare(Split split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var total = split.Train.Count + split.Test.Count;
        return total == 0 ? 0 : (double)split.Test.Count / total;
    }

    /// <summary>Validation splits of every split, each holding out the split's test share (<see cref="TestShare"/>) of every user's training ratings.</summary>
    public static IReadOnlyList<Split> Carve(IReadOnlyList<Split> splits, int seed)
    {
        ArgumentNullException.ThrowIfNull(splits);
        return [.. splits.Select((s, n) =>
        {
            var share = TestShare(s);
            return Carve(s, _ => share, seed + n);
        })];
    }

    /// <summary>
    /// Holds out <paramref name="share"/>(user) of each user's training ratings of <paramref name="split"/>; the test part is not read.
    /// Ratings keep their order in the training list; users are visited in the order they first appear.
    /// </summary>
    public static Split Carve(Split split, Func<string, double> share, int seed)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(share);

        var byUser = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var users = new List<List<int>>();
        for (var n = 0; n < split.Train.Count; n++)
        {
            if (!byUser.TryGetValue(split.Train[n].User, out var list))
            {
                list = [];
                byUser[split.Train[n].User] = list;
                users.Add(list);
            }

            list.Add(n);
        }

        var random = new Random(seed);
        var heldOut = new bool[split.Train.Count];
        foreach (var ratings in users)
        {
            var order = ratings.ToArray();
            random.Shuffle(order);
            var userShare = Math.Clamp(share(split.Train[order[0]].User), 0, 1);
            var count = Math.Min((int)Math.Round(userShare * order.Length, MidpointRounding.AwayFromZero), order.Length - 1);
            for (var k = 0; k < count; k++)
            {
                heldOut[order[k]] = true;
            }
        }

        var train = new List<RawRating>(split.Train.Count);
        var validation = new List<RawRating>();
        for (var n = 0; n < split.Train.Count; n++)
        {
            (heldOut[n] ? validation : train).Add(split.Train[n]);
        }

        return new Split(string.Create(CultureInfo.InvariantCulture, $"{split.Name} validation"), train, validation);
    }

    /// <summary>How the validation data was made, for the parent run and the JSON.</summary>
    public static string Describe(IReadOnlyList<Split> splits, int seed) =>
        string.Create(CultureInfo.InvariantCulture,
            $"the test part's share of the ratings ({TestShare(splits[0]):P0}) held out again from the training ratings of every user of {string.Join(", ", splits.Select(s => s.Name))}, seed {seed}");
}
