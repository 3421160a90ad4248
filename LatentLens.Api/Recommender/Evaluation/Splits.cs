using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>One train/test split, named for display and tracking (<c>fold 1</c>, <c>u1</c>).</summary>
internal sealed record Split(string Name, IReadOnlyList<RawRating> Train, IReadOnlyList<RawRating> Test);

internal static class Splits
{
    /// <summary>
    /// k-fold cross-validation as Surprise's <c>KFold</c>: the ratings are shuffled with the seed,
    /// then cut into k contiguous folds, the first n mod k folds one rating larger.
    /// </summary>
    public static IReadOnlyList<Split> KFold(IReadOnlyList<RawRating> ratings, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        if (folds < 2 || folds > ratings.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"folds must be between 2 and the number of ratings ({ratings.Count})");
        }

        var order = Enumerable.Range(0, ratings.Count).ToArray();
        new Random(seed).Shuffle(order);

        var result = new List<Split>(folds);
        var start = 0;
        for (var f = 0; f < folds; f++)
        {
            var size = (ratings.Count / folds) + (f < ratings.Count % folds ? 1 : 0);
            var test = new List<RawRating>(size);
            var train = new List<RawRating>(ratings.Count - size);
            for (var k = 0; k < order.Length; k++)
            {
                (k >= start && k < start + size ? test : train).Add(ratings[order[k]]);
            }

            result.Add(new Split($"fold {f + 1}", train, test));
            start += size;
        }

        return result;
    }

    /// <summary>The canonical MovieLens 100K splits u1..u5 (<c>uN.base</c> / <c>uN.test</c>) of a folder.</summary>
    public static IReadOnlyList<(string Name, string Train, string Test)> MovieLensFolderSplits(string folder)
    {
        var splits = new List<(string, string, string)>();
        for (var n = 1; n <= 5; n++)
        {
            var train = Path.Combine(folder, $"u{n}.base");
            var test = Path.Combine(folder, $"u{n}.test");
            if (File.Exists(train) && File.Exists(test))
            {
                splits.Add(($"u{n}", train, test));
            }
        }

        if (splits.Count == 0)
        {
            throw new DataFormatException(folder, 0, "no u1.base/u1.test ... u5.base/u5.test pairs in this folder");
        }

        return splits;
    }
}
