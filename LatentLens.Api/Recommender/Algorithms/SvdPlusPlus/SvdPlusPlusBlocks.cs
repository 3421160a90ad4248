using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// SVD++'s epochs on <see cref="SgdBlocks"/>, in parallel and deterministically. The explicit part (b_u, p_u, b_i,
/// q_i) is FunkSvd's: a block owns its users' and items' rows. The implicit part is not: a rating of user u moves
/// y_j for every item j that u rated, in every item group, so no block owns y. Each block row (thread) therefore
/// trains on its own copy of y, updated at once by its own users exactly as <see cref="SvdPlusPlus"/> does (the lazy
/// update at the end of each user's segment); after each sub-epoch the copies are merged, item group by item group,
/// in block-row order: each copy moved y_j by an affine map (y ↦ S·y + W, S the product of the decays its users
/// applied), and the merge composes the maps, so every user's update is kept as if the rows had run one after another.
/// </summary>
/// <remarks>
/// What a thread does not see during a sub-epoch are the other rows' y updates of that sub-epoch. A first version
/// deferred every user's y update to the end of the sub-epoch (each thread's users then all pushed y_j from the same
/// stale value): u1's RMSE went from 0.9345 to 0.9503. With a copy per row, each user sees the y updates of the users
/// before it in its own row: RMSE as the single-threaded loop (docs/benchmarks.md §22). Every write has one owner per
/// phase, so the same seed, data and thread count give the same model bit for bit.
/// </remarks>
internal static class SvdPlusPlusBlocks
{
    public static void Train(
        SgdBlocks blocks, Trainset trainset, int[] starts, SvdPlusPlus.State state, SgdOptions options, Action<EpochReport>? onEpoch, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var f = options.Factors;
        var grid = blocks.Grid;

        // The item rows in the blocks' order, so an item group is a contiguous range (SgdBlocks says why).
        var q = new double[state.Q.Length];
        var y = new double[state.Y.Length];
        var bi = new double[state.ItemBias.Length];
        blocks.ToRelabelled<double>(state.Q, q, f);
        blocks.ToRelabelled<double>(state.Y, y, f);
        blocks.ToRelabelled<double>(state.ItemBias, bi, 1);
        var label = new int[blocks.ItemOrder.Length];
        for (var k = 0; k < label.Length; k++)
        {
            label[blocks.ItemOrder[k]] = k;
        }

        // N(u) of every user in the trainset's order, relabelled: the implicit sum adds in the same order every time.
        var rated = new int[trainset.Count];
        for (var k = 0; k < rated.Length; k++)
        {
            rated[k] = label[trainset.ItemIndex[k]];
        }

        var work = new Work
        {
            Blocks = blocks, Starts = starts, Rated = rated, UserBias = state.UserBias, ItemBias = bi, P = state.P, Q = q, Y = y, F = f,
            Mean = trainset.GlobalMean, LearningRate = options.LearningRate, Regularization = options.Regularization,
            Copies = [.. Enumerable.Range(0, grid).Select(_ => (double[])y.Clone())],
            Scales = [.. Enumerable.Range(0, grid).Select(_ => Enumerable.Repeat(1.0, label.Length).ToArray())],
            Sse = new double[grid * grid],
        };
        cancellationToken.ThrowIfCancellationRequested();
        var workers = Math.Min(options.Threads, grid);
        SgdWorkers.Run(workers, options.Epochs, 2 * grid,
            (thread, _, phase) =>
            {
                for (var rowOrColumn = thread; rowOrColumn < grid; rowOrColumn += workers)
                {
                    if (phase % 2 == 0)
                    {
                        work.TrainBlock(rowOrColumn, blocks.ColumnOf(rowOrColumn, phase / 2));
                    }
                    else
                    {
                        work.Merge(rowOrColumn);
                    }
                }
            },
            epoch =>
            {
                var total = 0.0;
                foreach (var block in work.Sse)
                {
                    total += block;
                }

                onEpoch?.Invoke(new EpochReport(epoch, Math.Sqrt(total / Math.Max(1, trainset.Count)), clock.Elapsed));
                if (epoch < options.Epochs)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            });

        blocks.FromRelabelled<double>(q, state.Q, f);
        blocks.FromRelabelled<double>(y, state.Y, f);
        blocks.FromRelabelled<double>(bi, state.ItemBias, 1);
    }

    private sealed class Work
    {
        public required SgdBlocks Blocks { get; init; }

        public required int[] Starts { get; init; }

        public required int[] Rated { get; init; }

        public required double[] UserBias { get; init; }

        public required double[] ItemBias { get; init; }

        public required double[] P { get; init; }

        public required double[] Q { get; init; }

        public required double[] Y { get; init; }

        public required int F { get; init; }

        public required double Mean { get; init; }

        public required double LearningRate { get; init; }

        public required double Regularization { get; init; }

        /// <summary>Each block row's copy of y for the current sub-epoch.</summary>
        public required double[][] Copies { get; init; }

        /// <summary>Per block row and item, the product of the decays the row's users applied to y_j this sub-epoch (S).</summary>
        public required double[][] Scales { get; init; }

        public required double[] Sse { get; init; }

        /// <summary>
        /// The ratings of block (row, column), user by user, with <see cref="SvdPlusPlus.RunEpoch"/>'s arithmetic on the row's copy of y.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void TrainBlock(int row, int column)
        {
            var (y, scales) = (Copies[row], Scales[row]);
            var (from, to) = Blocks.Range(row, column);
            int[] users = Blocks.Users, items = Blocks.Items;
            var values = Blocks.Values;
            var f = F;
            double lr = LearningRate, reg = Regularization, mu = Mean;
            var decay = 1 - (lr * reg);
            var s = new double[f];
            var w = new double[f];
            double sse = 0;
            var k = from;
            while (k < to)
            {
                var u = users[k];
                var (first, last) = (Starts[u], Starts[u + 1]);
                var inv = 1 / Math.Sqrt(last - first);
                Array.Clear(s);
                for (var r = first; r < last; r++)
                {
                    Rows.Add(y.AsSpan(Rated[r] * f, f), s);
                }

                Rows.Scale(s, inv);
                Array.Clear(w);
                var scale = 1.0;
                var pu = P.AsSpan(u * f, f);
                for (; k < to && users[k] == u; k++)
                {
                    var i = items[k];
                    var qi = Q.AsSpan(i * f, f);
                    var err = values[k] - (mu + UserBias[u] + ItemBias[i] + Rows.DotOfSum(qi, pu, s));
                    sse += err * err;
                    UserBias[u] += lr * (err - (reg * UserBias[u]));
                    ItemBias[i] += lr * (err - (reg * ItemBias[i]));
                    Rows.Update(pu, qi, s, w, lr, reg, err, decay, inv);
                    scale *= decay;
                }

                // The lazy update of N(u), on this row's copy: y_j ← scale·y_j + w, and S_j follows the scale.
                for (var r = first; r < last; r++)
                {
                    var j = Rated[r];
                    Rows.ScaleAdd(y.AsSpan(j * f, f), scale, w);
                    scales[j] *= scale;
                }
            }

            Sse[(row * Blocks.Grid) + column] = sse;
        }

        /// <summary>
        /// Merges the rows' copies for item group <paramref name="column"/>: copy r maps y ↦ S_r·y + (y_r − S_r·y), so in
        /// row order acc ← y_r + S_r·(acc − y); then every copy starts the next sub-epoch from the merged y.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Merge(int column)
        {
            var f = F;
            for (var j = Blocks.ItemRanges[column]; j < Blocks.ItemRanges[column + 1]; j++)
            {
                var start = Y.AsSpan(j * f, f);
                for (var c = 0; c < f; c++)
                {
                    var acc = start[c];
                    for (var r = 0; r < Copies.Length; r++)
                    {
                        acc = Copies[r][(j * f) + c] + (Scales[r][j] * (acc - start[c]));
                    }

                    start[c] = acc;
                }

                for (var r = 0; r < Copies.Length; r++)
                {
                    start.CopyTo(Copies[r].AsSpan(j * f, f));
                    Scales[r][j] = 1;
                }
            }
        }
    }
}

/// <summary>
/// The row arithmetic of <see cref="SvdPlusPlusBlocks"/> in <see cref="Vector{T}"/> lanes of doubles, then a scalar
/// tail: the same formulas as <see cref="SvdPlusPlus.RunEpoch"/>, summed in lanes (so not its bits; the single-threaded
/// loop keeps Surprise's order, as its transcription test wants).
/// </summary>
internal static class Rows
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(ReadOnlySpan<double> row, Span<double> sum)
    {
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var acc = ref MemoryMarshal.GetReference(sum);
        var c = 0;
        for (; c <= row.Length - Vector<double>.Count; c += Vector<double>.Count)
        {
            (Vector.LoadUnsafe(ref acc, (nuint)c) + Vector.LoadUnsafe(ref x, (nuint)c)).StoreUnsafe(ref acc, (nuint)c);
        }

        for (; c < row.Length; c++)
        {
            sum[c] += row[c];
        }
    }

    public static void Scale(Span<double> row, double by)
    {
        for (var c = 0; c < row.Length; c++)
        {
            row[c] *= by;
        }
    }

    /// <summary>q·(p + s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double DotOfSum(ReadOnlySpan<double> q, ReadOnlySpan<double> p, ReadOnlySpan<double> s)
    {
        ref var qr = ref MemoryMarshal.GetReference(q);
        ref var pr = ref MemoryMarshal.GetReference(p);
        ref var sr = ref MemoryMarshal.GetReference(s);
        var lanes = Vector<double>.Zero;
        var c = 0;
        for (; c <= q.Length - Vector<double>.Count; c += Vector<double>.Count)
        {
            lanes += Vector.LoadUnsafe(ref qr, (nuint)c) * (Vector.LoadUnsafe(ref pr, (nuint)c) + Vector.LoadUnsafe(ref sr, (nuint)c));
        }

        var dot = Vector.Sum(lanes);
        for (; c < q.Length; c++)
        {
            dot += q[c] * (p[c] + s[c]);
        }

        return dot;
    }

    /// <summary>SVD++'s step for one rating, from the old p and q: p, q, the implicit sum s and the users' pending w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Update(Span<double> p, Span<double> q, Span<double> s, Span<double> w, double lr, double reg, double err, double decay, double inv)
    {
        ref var pr = ref MemoryMarshal.GetReference(p);
        ref var qr = ref MemoryMarshal.GetReference(q);
        ref var sr = ref MemoryMarshal.GetReference(s);
        ref var wr = ref MemoryMarshal.GetReference(w);
        var step = lr * err;
        var (vlr, verr, vreg, vdecay, vstep, vstepInv) = (new Vector<double>(lr), new Vector<double>(err), new Vector<double>(reg),
            new Vector<double>(decay), new Vector<double>(step), new Vector<double>(step * inv));
        var c = 0;
        for (; c <= p.Length - Vector<double>.Count; c += Vector<double>.Count)
        {
            var (pv, qv, sv) = (Vector.LoadUnsafe(ref pr, (nuint)c), Vector.LoadUnsafe(ref qr, (nuint)c), Vector.LoadUnsafe(ref sr, (nuint)c));
            (pv + (vlr * ((verr * qv) - (vreg * pv)))).StoreUnsafe(ref pr, (nuint)c);
            (qv + (vlr * ((verr * (pv + sv)) - (vreg * qv)))).StoreUnsafe(ref qr, (nuint)c);
            ((vdecay * sv) + (vstep * qv)).StoreUnsafe(ref sr, (nuint)c);
            ((vdecay * Vector.LoadUnsafe(ref wr, (nuint)c)) + (vstepInv * qv)).StoreUnsafe(ref wr, (nuint)c);
        }

        for (; c < p.Length; c++)
        {
            var (puf, qif) = (p[c], q[c]);
            p[c] += lr * ((err * qif) - (reg * puf));
            q[c] += lr * ((err * (puf + s[c])) - (reg * qif));
            s[c] = (decay * s[c]) + (step * qif);
            w[c] = (decay * w[c]) + (step * inv * qif);
        }
    }

    /// <summary>row ← scale·row + add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleAdd(Span<double> row, double scale, ReadOnlySpan<double> add)
    {
        ref var r = ref MemoryMarshal.GetReference(row);
        ref var a = ref MemoryMarshal.GetReference(add);
        var vscale = new Vector<double>(scale);
        var c = 0;
        for (; c <= row.Length - Vector<double>.Count; c += Vector<double>.Count)
        {
            ((vscale * Vector.LoadUnsafe(ref r, (nuint)c)) + Vector.LoadUnsafe(ref a, (nuint)c)).StoreUnsafe(ref r, (nuint)c);
        }

        for (; c < row.Length; c++)
        {
            row[c] = (scale * row[c]) + add[c];
        }
    }
}
