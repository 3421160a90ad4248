using System.Globalization;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>One held-out user: the ratings given at request time (history) and the ratings to predict (test).</summary>
internal sealed record HeldOutUser(string User, IReadOnlyList<RawRating> History, IReadOnlyList<RawRating> Test);

/// <summary>
/// A user-level split (strong generalization, as in Steck 2019 and Liang et al. 2018): a seeded fraction of the users is
/// held out entirely; the model is trained on everyone else's ratings, and each held-out user's seeded share of ratings is
/// the history given at request time, the rest the test.
/// </summary>
internal sealed record UserSplit(IReadOnlyList<RawRating> Train, IReadOnlyList<HeldOutUser> HeldOut, double Fraction, double HistoryShare, int Seed)
{
    /// <summary>How the run records the split (its <c>split</c> param).</summary>
    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"user split: {HeldOut.Count} users ({Fraction:P0}) held out, {HistoryShare:P0} of each one's ratings as the history (seed {Seed})");

    /// <summary>
    /// Users sorted by id then shuffled with <paramref name="seed"/>; the first round(fraction × users) are held out (at least
    /// one, never all). Each held-out user's ratings are shuffled with a stream seeded by seed × 1,000,003 + position + 1 and cut: the first
    /// max(1, floor(historyShare × n)) are the history, the rest (at least one) the test; a user with a single rating stays in
    /// training. The same seed and ratings always give the same split.
    /// </summary>
    public static UserSplit Make(IReadOnlyList<RawRating> ratings, double fraction = 0.1, double historyShare = 0.8, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the held-out fraction of users must be between 0 and 1");
        }

        if (!(historyShare > 0 && historyShare < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(historyShare), historyShare, "the history share must be between 0 and 1");
        }

        var byUser = new Dictionary<string, List<RawRating>>(StringComparer.Ordinal);
        foreach (var r in ratings)
        {
            if (!byUser.TryGetValue(r.User, out var list))
            {
                byUser[r.User] = list = [];
            }

            list.Add(r);
        }

        var users = byUser.Keys.Order(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(users);
        var count = Math.Clamp((int)Math.Round(fraction * users.Length), 1, Math.Max(1, users.Length - 1));
        var heldOut = new List<HeldOutUser>(count);
        var held = new HashSet<string>(StringComparer.Ordinal);
        for (var p = 0; p < count; p++)
        {
            var own = byUser[users[p]].ToArray();
            if (own.Length < 2)
            {
                continue;
            }

            new Random(unchecked((seed * 1_000_003) + p + 1)).Shuffle(own);
            var history = Math.Clamp((int)Math.Floor(historyShare * own.Length), 1, own.Length - 1);
            heldOut.Add(new HeldOutUser(users[p], own[..history], own[history..]));
            held.Add(users[p]);
        }

        var train = ratings.Where(r => !held.Contains(r.User)).ToList();
        return new UserSplit(train, heldOut, fraction, historyShare, seed);
    }
}
