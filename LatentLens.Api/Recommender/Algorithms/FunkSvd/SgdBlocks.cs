using System.Buffers;
using System.Runtime.CompilerServices;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// The rating matrix cut into G × G blocks for parallel SGD (LIBMF's FPSGD: Chin, Zhuang, Juan and Lin, ACM TIST
/// 2015): users into G contiguous ranges, items into G groups, each range and group holding about 1/G of the
/// ratings. Blocks of one diagonal share no user row and no item column, so G threads can each train one of
/// them at the same time without a lock; sub-epoch s trains the blocks (a, (a + s) mod G), and G sub-epochs
/// train every rating exactly once.
/// </summary>
/// <remarks>
/// What is deterministic: the cut (users in order; items shuffled by the seed, then cut), the order inside a
/// block (the trainset's: grouped by user, users in order) and the schedule, so the same seed, data and G give
/// the same model bit for bit, whichever thread happens to train which block. The items are relabelled so that
/// each group is a contiguous range of rows: one thread's item rows and biases never share a cache line with
/// another's (a shuffled bias array would be written by both cores on the same lines at every rating).
/// The three arrays of n ratings are rented from the shared array pool and given back by <see cref="Dispose"/>: a fit
/// that follows another (a fold after a fold) then writes into memory the process already has, where fresh arrays
/// cost a page fault per 4 KiB on first touch (18 µs each on the virtual machine of docs/benchmarks.md §30).
/// </remarks>
internal sealed class SgdBlocks : IDisposable
{
    private SgdBlocks(int grid, int count, int[] users, int[] items, float[] values, int[] starts, int[] itemOrder, int[] userRanges, int[] itemRanges)
    {
        Grid = grid;
        Count = count;
        Users = users;
        Items = items;
        Values = values;
        Starts = starts;
        ItemOrder = itemOrder;
        UserRanges = userRanges;
        ItemRanges = itemRanges;
    }

    private int _disposed;

    /// <summary>G: blocks per side.</summary>
    public int Grid { get; }

    /// <summary>n: the ratings. <see cref="Users"/>, <see cref="Items"/> and <see cref="Values"/> may be longer (pooled arrays).</summary>
    public int Count { get; }

    /// <summary>Each rating's user, block after block (block (a, b) at <c>Starts[a·G + b]</c>).</summary>
    public int[] Users { get; }

    /// <summary>Each rating's item, relabelled (<see cref="ItemOrder"/>).</summary>
    public int[] Items { get; }

    public float[] Values { get; }

    /// <summary>Block (a, b) holds ratings <c>[Starts[a·G + b], Starts[a·G + b + 1])</c>.</summary>
    public int[] Starts { get; }

    /// <summary>The trainset's item index of each relabelled item.</summary>
    public int[] ItemOrder { get; }

    /// <summary>User range a is users <c>[UserRanges[a], UserRanges[a + 1])</c>.</summary>
    public int[] UserRanges { get; }

    /// <summary>Item group b is relabelled items <c>[ItemRanges[b], ItemRanges[b + 1])</c>.</summary>
    public int[] ItemRanges { get; }

    /// <summary>The item group that user range <paramref name="row"/> trains in sub-epoch <paramref name="subEpoch"/>.</summary>
    public int ColumnOf(int row, int subEpoch) => (row + subEpoch) % Grid;

    /// <summary>Block (row, column)'s ratings.</summary>
    public (int From, int To) Range(int row, int column) => (Starts[(row * Grid) + column], Starts[(row * Grid) + column + 1]);

    /// <summary>
    /// The speed-up the schedule allows at most if time were proportional to ratings: each sub-epoch lasts as long as its
    /// largest block, so n / Σ_s max_a |block(a, ColumnOf(a, s))| (G when the blocks are even; barriers not counted).
    /// </summary>
    public double SpeedUpBound()
    {
        long slowest = 0;
        for (var s = 0; s < Grid; s++)
        {
            var largest = 0;
            for (var a = 0; a < Grid; a++)
            {
                var (from, to) = Range(a, ColumnOf(a, s));
                largest = Math.Max(largest, to - from);
            }

            slowest += largest;
        }

        return slowest == 0 ? 1 : (double)Count / slowest;
    }

    /// <summary>
    /// Blocks per side for these options: one block row per thread (more rows would add sub-epochs and barriers without
    /// adding work to share) unless <see cref="SgdOptions.Blocks"/> says otherwise; never more rows than users or
    /// columns than items. 1: the single-threaded loop.
    /// </summary>
    public static int GridFor(SgdOptions options, Trainset trainset)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainset);
        var wanted = options.Blocks > 0 ? options.Blocks : options.Threads;
        return Math.Max(1, Math.Min(wanted, Math.Min(trainset.UserCount, trainset.ItemCount)));
    }

    // Jitted optimised at once (as the epoch loops): a fit runs this once, so tiering would leave it unoptimised.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SgdBlocks Build(Trainset trainset, int grid, int seed)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        ArgumentOutOfRangeException.ThrowIfLessThan(grid, 1);
        var n = trainset.Count;

        // Users: contiguous ranges of about n / G ratings each (the trainset is grouped by user, users in order).
        var userStarts = RowIndex.StartsOf(trainset.UserIndex, trainset.UserCount);
        var userCounts = new int[trainset.UserCount];
        for (var u = 0; u < userCounts.Length; u++)
        {
            userCounts[u] = userStarts[u + 1] - userStarts[u];
        }

        var userRanges = Cut(grid, userCounts, n);
        var userBlock = BlockOfEach(userRanges, trainset.UserCount);

        // Items: shuffled by the seed (the trainset's order puts the first users' items first), relabelled in
        // that order, cut into groups of about n / G ratings.
        var itemCounts = new int[trainset.ItemCount];
        foreach (var i in trainset.ItemIndex)
        {
            itemCounts[i]++;
        }

        var itemOrder = new int[trainset.ItemCount];
        for (var k = 0; k < itemOrder.Length; k++)
        {
            itemOrder[k] = k;
        }

        new Random(seed).Shuffle(itemOrder);
        var label = new int[trainset.ItemCount];
        for (var k = 0; k < itemOrder.Length; k++)
        {
            label[itemOrder[k]] = k;
        }

        var ordered = new int[trainset.ItemCount];
        for (var k = 0; k < ordered.Length; k++)
        {
            ordered[k] = itemCounts[itemOrder[k]];
        }

        var itemRanges = Cut(grid, ordered, n);
        var itemBlock = BlockOfEach(itemRanges, trainset.ItemCount);

        // A stable counting sort by block: inside a block the trainset's order stays (grouped by user). Written out
        // rather than through RowIndex: three arrays of n allocated instead of seven (a fit runs this once).
        var starts = new int[(grid * grid) + 1];
        for (var k = 0; k < n; k++)
        {
            starts[(userBlock[trainset.UserIndex[k]] * grid) + itemBlock[label[trainset.ItemIndex[k]]] + 1]++;
        }

        for (var b = 0; b < grid * grid; b++)
        {
            starts[b + 1] += starts[b];
        }

        var next = starts[..^1];
        var users = ArrayPool<int>.Shared.Rent(n);
        var items = ArrayPool<int>.Shared.Rent(n);
        var values = ArrayPool<float>.Shared.Rent(n);
        for (var k = 0; k < n; k++)
        {
            var (u, i) = (trainset.UserIndex[k], label[trainset.ItemIndex[k]]);
            var slot = next[(userBlock[u] * grid) + itemBlock[i]]++;
            users[slot] = u;
            items[slot] = i;
            values[slot] = trainset.Values[k];
        }

        return new SgdBlocks(grid, n, users, items, values, starts, itemOrder, userRanges, itemRanges);
    }

    /// <summary>Gives the rating arrays back to the pool; the blocks must not be used after.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            ArrayPool<int>.Shared.Return(Users);
            ArrayPool<int>.Shared.Return(Items);
            ArrayPool<float>.Shared.Return(Values);
        }
    }

    /// <summary>Rows of <paramref name="width"/> floats of a per-item array, in relabelled order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ToRelabelled<T>(ReadOnlySpan<T> byItem, Span<T> relabelled, int width)
    {
        for (var k = 0; k < ItemOrder.Length; k++)
        {
            byItem.Slice(ItemOrder[k] * width, width).CopyTo(relabelled.Slice(k * width, width));
        }
    }

    /// <summary>Rows of a relabelled per-item array back in the trainset's item order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void FromRelabelled<T>(ReadOnlySpan<T> relabelled, Span<T> byItem, int width)
    {
        for (var k = 0; k < ItemOrder.Length; k++)
        {
            relabelled.Slice(k * width, width).CopyTo(byItem.Slice(ItemOrder[k] * width, width));
        }
    }

    /// <summary>
    /// Cuts rows (their rating counts given in order) into <paramref name="grid"/> ranges: range a ends at the first row
    /// where the ratings so far reach (a + 1)/G of all; every range keeps at least one row when there are enough.
    /// </summary>
    private static int[] Cut(int grid, int[] ratingsOf, int total)
    {
        var count = ratingsOf.Length;
        var ranges = new int[grid + 1];
        long sum = 0;
        var row = 0;
        for (var a = 0; a < grid - 1; a++)
        {
            var target = (long)total * (a + 1) / grid;
            var lastStart = count - (grid - 1 - a); // leave a row for each range after this one
            while (row < lastStart && (sum < target || row == ranges[a]))
            {
                sum += ratingsOf[row];
                row++;
            }

            ranges[a + 1] = row;
        }

        ranges[grid] = count;
        return ranges;
    }

    private static int[] BlockOfEach(int[] ranges, int count)
    {
        var block = new int[count];
        for (var a = 0; a + 1 < ranges.Length; a++)
        {
            block.AsSpan(ranges[a], ranges[a + 1] - ranges[a]).Fill(a);
        }

        return block;
    }
}
