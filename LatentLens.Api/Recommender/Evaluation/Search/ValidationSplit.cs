using System.Globalization;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Evaluation.Search;

/// <summary>
/// The data a search scores its trials on: carved from a split's <b>training</b> ratings only, so no
/// choice ever sees a test rating. Per user, seeded: each user's training ratings are shuffled and the
/// same share as the split's test part (u1: 20 %, 5-fold: 20 %, a 90/10 split: 10 %) is held out as
/// validation, rounded, with at least one rating kept for training (a user with one rating keeps it).
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

    /// <summary>Validation splits of every split, each holding out <see cref="TestShare"/> of its training ratings.</summary>
    public static IReadOnlyList<Split> Carve(IReadOnlyList<Split> splits, int seed)
    {
        ArgumentNullException.ThrowIfNull(splits);
        return [.. splits.Select((s, n) => Carve(s, TestShare(s), seed + n))];
    }

    /// <summary>
    /// Holds out <paramref name="share"/> of each user's training ratings of <paramref name="split"/>; the test part is never read.
    /// Ratings keep their order in the training list; users are visited in the order they first appear.
    /// </summary>
    public static Split Carve(Split split, double share, int seed)
    {
        ArgumentNullException.ThrowIfNull(split);
        if (!(share is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(share), share, "the validation share must be between 0 and 1");
        }

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
            var count = Math.Min((int)Math.Round(share * order.Length, MidpointRounding.AwayFromZero), order.Length - 1);
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
            $"per user, {TestShare(splits[0]):P0} of each user's training ratings of {string.Join(", ", splits.Select(s => s.Name))} (the test share), seed {seed}");
}
