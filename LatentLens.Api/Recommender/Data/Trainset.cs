using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Data;

/// <summary>
/// Ratings with dense user and item indices, in the order algorithms visit them: grouped by user,
/// users in order of first appearance (Surprise's <c>Trainset.all_ratings()</c> order).
/// Structure of arrays, so the training loop streams three flat arrays.
/// </summary>
internal sealed class Trainset
{
    private Trainset(IdMap users, IdMap items, int[] userIndex, int[] itemIndex, float[] values, RatingScale scale)
    {
        Users = users;
        Items = items;
        UserIndex = userIndex;
        ItemIndex = itemIndex;
        Values = values;
        Scale = scale;
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        GlobalMean = values.Length == 0 ? 0 : sum / values.Length;
    }

    public IdMap Users { get; }

    public IdMap Items { get; }

    public int[] UserIndex { get; }

    public int[] ItemIndex { get; }

    public float[] Values { get; }

    public RatingScale Scale { get; }

    public double GlobalMean { get; }

    public int Count => Values.Length;

    public int UserCount => Users.Count;

    public int ItemCount => Items.Count;

    /// <summary>Builds a trainset from raw ratings; ids get indices in order of first appearance.</summary>
    public static Trainset Build(IReadOnlyList<RawRating> ratings, RatingScale scale)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        var users = new IdMap();
        var items = new IdMap();
        var u = new int[ratings.Count];
        var i = new int[ratings.Count];
        var r = new float[ratings.Count];
        for (var k = 0; k < ratings.Count; k++)
        {
            u[k] = users.GetOrAdd(ratings[k].User);
            i[k] = items.GetOrAdd(ratings[k].Item);
            r[k] = ratings[k].Value;
        }

        return FromIndices(users, items, u, i, r, scale);
    }

    /// <summary>Builds a trainset from indices already dense (the synthetic generator's path: no strings).</summary>
    public static Trainset FromIndices(IdMap users, IdMap items, int[] userIndex, int[] itemIndex, float[] values, RatingScale scale)
    {
        ArgumentNullException.ThrowIfNull(userIndex);
        ArgumentNullException.ThrowIfNull(itemIndex);
        ArgumentNullException.ThrowIfNull(values);
        if (userIndex.Length != itemIndex.Length || userIndex.Length != values.Length)
        {
            throw new ArgumentException("Index and value arrays must have the same length.");
        }

        GroupByUser(userIndex, itemIndex, values, users.Count);
        return new Trainset(users, items, userIndex, itemIndex, values, scale);
    }

    /// <summary>Stable counting sort by user index, in place.</summary>
    private static void GroupByUser(int[] u, int[] i, float[] r, int userCount)
    {
        var sorted = true;
        for (var k = 1; k < u.Length && sorted; k++)
        {
            sorted = u[k - 1] <= u[k];
        }

        if (sorted)
        {
            return;
        }

        var byUser = RowIndex.Build(u, userCount);
        var i2 = byUser.Arrange<int>(i);
        var r2 = byUser.Arrange<float>(r);
        byUser.Arrange<int>(u).CopyTo(u, 0);
        i2.CopyTo(i, 0);
        r2.CopyTo(r, 0);
    }
}
