using System.Globalization;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Evaluation.Search;

/// <summary>
/// The data a search scores its trials on: carved from a split's <b>training</b> ratings only, so no
/// choice ever sees a test rating. It has the test part's shape, per user: each user's training ratings
/// are shuffled (seeded) and the share of that user's ratings that the test part holds is held out again,
/// rounded, keeping at least one rating for training. A k-fold or 90/10 split holds about the same share
/// of every user (20 %, 10 %), so does the validation; MovieLens 100K's u1.test holds 459 of 943 users,
/// about 40 % of each of their ratings, so the validation holds about 40 % of those users' training
/// ratings and none of the others'. Only the test part's count per user is read, never its ratings.
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

    /// <summary>Validation splits of every split, each with its test part's shape (<see cref="UserShares"/>).</summary>
    public static IReadOnlyList<Split> Carve(IReadOnlyList<Split> splits, int seed)
    {
        ArgumentNullException.ThrowIfNull(splits);
        return [.. splits.Select((s, n) => Carve(s, UserShares(s), seed + n))];
    }

    /// <summary>Per user of the training part, the share of the user's ratings in the test part (0 for a user with none there).</summary>
    public static Func<string, double> UserShares(Split split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var train = split.Train.CountBy(r => r.User, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var test = split.Test.CountBy(r => r.User, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        return user => test.TryGetValue(user, out var t) ? (double)t / (t + train.GetValueOrDefault(user)) : 0;
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
            $"per user, the share of the user's ratings in the test part ({TestShare(splits[0]):P0} in all) held out again from the training ratings of {string.Join(", ", splits.Select(s => s.Name))}, seed {seed}");
}
