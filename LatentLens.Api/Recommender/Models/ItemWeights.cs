using System.Globalization;

namespace LatentLens.Api.Recommender.Models;

/// <summary>
/// A sparse item × item weight matrix B of an item-based model (EASE): row i holds what a history entry on
/// item i adds to every item's score, so a user's score of item j is Σ over the history of x_i · B_ij, with
/// x_i the rating (or 1 when <see cref="Binary"/>). Rows are compressed (offsets into one column and one value
/// array), each row's columns strictly ascending, so a single weight is a binary search.
/// </summary>
internal sealed class ItemWeights
{
    public ItemWeights(int items, int[] offsets, int[] columns, float[] values, bool binary)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        if (Problem(items, offsets, columns, values) is { } problem)
        {
            throw new ArgumentException(problem);
        }

        Items = items;
        Offsets = offsets;
        Columns = columns;
        Values = values;
        Binary = binary;
    }

    public int Items { get; }

    /// <summary>Items + 1 offsets: row i is [Offsets[i], Offsets[i + 1]) of <see cref="Columns"/> and <see cref="Values"/>.</summary>
    public int[] Offsets { get; }

    public int[] Columns { get; }

    public float[] Values { get; }

    /// <summary>True: the model was fitted on 0/1 interactions, so a history entry weighs 1 whatever its rating; false: it weighs its rating.</summary>
    public bool Binary { get; }

    /// <summary>The number of weights kept.</summary>
    public int Count => Columns.Length;

    /// <summary>What a history entry with rating <paramref name="rating"/> weighs (1 for a binary model, or for an interaction without a rating).</summary>
    public float InputOf(float rating) => Binary || float.IsNaN(rating) ? 1f : rating;

    /// <summary>B_ij, zero where it was not kept.</summary>
    public float Weight(int i, int j)
    {
        var start = Offsets[i];
        var at = Array.BinarySearch(Columns, start, Offsets[i + 1] - start, j);
        return at >= 0 ? Values[at] : 0;
    }

    /// <summary>scores[j] += x · B_ij over row i.</summary>
    public void AddRow(int i, float x, Span<float> scores)
    {
        var start = Offsets[i];
        var end = Offsets[i + 1];
        var columns = Columns.AsSpan(start, end - start);
        var values = Values.AsSpan(start, end - start);
        for (var k = 0; k < columns.Length; k++)
        {
            scores[columns[k]] += x * values[k];
        }
    }

    /// <summary>
    /// What is wrong with the arrays, or null: offsets from 0, ascending, ending at the number of weights; columns
    /// within the items and strictly ascending in each row; every weight finite. The artifact reader reports it as is.
    /// </summary>
    public static string? Problem(int items, ReadOnlySpan<int> offsets, ReadOnlySpan<int> columns, ReadOnlySpan<float> values)
    {
        if (items < 0 || offsets.Length != items + 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the item weights have {offsets.Length} offsets; {items} items need {items + 1}");
        }

        if (columns.Length != values.Length)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the item weights have {columns.Length} columns but {values.Length} values");
        }

        if (offsets[0] != 0 || offsets[items] != columns.Length)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the item weight offsets run from {offsets[0]} to {offsets[items]}, not from 0 to the {columns.Length} weights");
        }

        for (var i = 0; i < items; i++)
        {
            if (offsets[i + 1] < offsets[i])
            {
                return string.Create(CultureInfo.InvariantCulture, $"the item weight offsets are not ascending at row {i}");
            }

            for (var k = offsets[i]; k < offsets[i + 1]; k++)
            {
                if ((uint)columns[k] >= (uint)items)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"row {i} of the item weights names item {columns[k]}, outside the {items} items");
                }

                if (k > offsets[i] && columns[k] <= columns[k - 1])
                {
                    return string.Create(CultureInfo.InvariantCulture, $"row {i} of the item weights is not in strictly ascending item order at item {columns[k]}");
                }

                if (!float.IsFinite(values[k]))
                {
                    return string.Create(CultureInfo.InvariantCulture, $"row {i}, item {columns[k]} of the item weights is {values[k]}; every weight must be finite");
                }
            }
        }

        return null;
    }
}
