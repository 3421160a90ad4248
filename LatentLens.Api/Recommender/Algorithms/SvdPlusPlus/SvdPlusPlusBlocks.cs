using System.Diagnostics;
using System.Runtime.CompilerServices;
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
        SgdWorkers.Run(grid, options.Epochs, 2 * grid,
            (thread, _, phase) =>
            {
                if (phase % 2 == 0)
                {
                    work.TrainBlock(thread, blocks.ColumnOf(thread, phase / 2));
                }
                else
                {
                    work.Merge(thread);
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
                    var yj = y.AsSpan(Rated[r] * f, f);
                    for (var c = 0; c < f; c++)
                    {
                        s[c] += yj[c];
                    }
                }

                for (var c = 0; c < f; c++)
                {
                    s[c] *= inv;
                }

                Array.Clear(w);
                var scale = 1.0;
                var pu = P.AsSpan(u * f, f);
                for (; k < to && users[k] == u; k++)
                {
                    var i = items[k];
                    var qi = Q.AsSpan(i * f, f);
                    double dot = 0;
                    for (var c = 0; c < f; c++)
                    {
                        dot += qi[c] * (pu[c] + s[c]);
                    }

                    var err = values[k] - (mu + UserBias[u] + ItemBias[i] + dot);
                    sse += err * err;
                    UserBias[u] += lr * (err - (reg * UserBias[u]));
                    ItemBias[i] += lr * (err - (reg * ItemBias[i]));
                    var step = lr * err;
                    for (var c = 0; c < f; c++)
                    {
                        var (puf, qif) = (pu[c], qi[c]);
                        pu[c] += lr * ((err * qif) - (reg * puf));
                        qi[c] += lr * ((err * (puf + s[c])) - (reg * qif));
                        s[c] = (decay * s[c]) + (step * qif);
                        w[c] = (decay * w[c]) + (step * qif * inv);
                    }

                    scale *= decay;
                }

                // The lazy update of N(u), on this row's copy: y_j ← scale·y_j + w, and S_j follows the scale.
                for (var r = first; r < last; r++)
                {
                    var j = Rated[r];
                    var yj = y.AsSpan(j * f, f);
                    for (var c = 0; c < f; c++)
                    {
                        yj[c] = (scale * yj[c]) + w[c];
                    }

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
