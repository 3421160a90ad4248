namespace LatentLens.Api.Recommender.Numerics;

/// <summary>
/// The one by-row index of entries given as (row, ...) columns: where each row starts, and for each entry
/// its slot in row order. A stable counting sort: within a row the entries keep their order, so anything
/// summed row by row sums in the same order whichever caller built it.
/// </summary>
internal sealed class RowIndex
{
    private RowIndex(int[] starts, int[] slots)
    {
        Starts = starts;
        Slots = slots;
    }

    /// <summary>Row r's entries are at <c>[Starts[r], Starts[r + 1])</c>; the last entry is the entry count.</summary>
    public int[] Starts { get; }

    /// <summary>Entry k's position in row order.</summary>
    public int[] Slots { get; }

    /// <summary>Where each row's entries start when the entries are grouped by row (<paramref name="rowOf"/>: each entry's row).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int[] StartsOf(ReadOnlySpan<int> rowOf, int rows)
    {
        var starts = new int[rows + 1];
        foreach (var r in rowOf)
        {
            starts[r + 1]++;
        }

        for (var r = 0; r < rows; r++)
        {
            starts[r + 1] += starts[r];
        }

        return starts;
    }

    /// <summary>The index of the entries whose rows are <paramref name="rowOf"/>.</summary>
    public static RowIndex Build(ReadOnlySpan<int> rowOf, int rows)
    {
        var starts = StartsOf(rowOf, rows);
        var next = starts[..rows];
        var slots = new int[rowOf.Length];
        for (var k = 0; k < rowOf.Length; k++)
        {
            slots[k] = next[rowOf[k]]++;
        }

        return new RowIndex(starts, slots);
    }

    /// <summary>A column of the entries (one value per entry, in the given order) rearranged into row order.</summary>
    public T[] Arrange<T>(ReadOnlySpan<T> column)
    {
        if (column.Length != Slots.Length)
        {
            throw new ArgumentException("The column has not one value per entry.", nameof(column));
        }

        var arranged = new T[column.Length];
        for (var k = 0; k < column.Length; k++)
        {
            arranged[Slots[k]] = column[k];
        }

        return arranged;
    }
}
