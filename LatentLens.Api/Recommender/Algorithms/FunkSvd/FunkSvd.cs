using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="FunkSvd"/>; the defaults are Surprise's <c>SVD</c>'s.</summary>
internal sealed record FunkSvdOptions : SgdOptions
{
    public FunkSvdOptions()
    {
        Factors = 100;
        LearningRate = 0.005;
    }

    /// <summary>
    /// Forces an epoch loop (tests, benchmarks); <see cref="SgdPath.Auto"/> defers to the
    /// <c>LATENTLENS_SIMD</c> environment variable, then to the hardware (<see cref="SgdPaths.Resolve"/>).
    /// </summary>
    internal SgdPath Path { get; init; }
}

/// <summary>
/// Biased matrix factorization trained by SGD: Surprise's <c>SVD</c> with the same defaults, the
/// same visiting order (ratings grouped by user) and the same update rule. For each rating,
/// e = r − (μ + b_u + b_i + q_i·p_u); b_u += γ(e − λb_u); b_i += γ(e − λb_i); then, from the old
/// values of both, p_u += γ(e·q_i − λp_u) and q_i += γ(e·p_u − λq_i).
/// </summary>
/// <remarks>
/// Speed: the factors are float32 rows padded to whole SIMD vectors, so one rating costs a handful of
/// fused multiply-adds per vector; the ratings are three flat arrays streamed in order; the loop
/// allocates nothing and checks no bounds. The epoch loop is chosen at start-up by what the hardware
/// accelerates (<see cref="SgdPaths.Hardware"/>): with AVX-512 and up to 128 factors
/// <see cref="FunkSvdRegisterKernel"/> keeps the user's row in registers; with AVX2 (256-bit) or
/// NEON/SSE (128-bit), and beyond 128 factors, <see cref="FunkSvdLanesKernel"/> keeps as much of it in
/// registers as they hold; without SIMD a scalar loop runs. <c>LATENTLENS_SIMD</c> or
/// <see cref="FunkSvdOptions.Path"/> forces one. The train RMSE of an epoch is measured from the errors
/// seen during that epoch's pass, before each update (running RMSE, as LIBMF reports it): no second pass.
/// With <see cref="SgdOptions.Threads"/> above 1 the same kernels train the blocks of <see cref="SgdBlocks"/> in
/// parallel (<see cref="FitBlocked"/>); the default, 1, is the loop above in Surprise's order.
/// </remarks>
internal sealed class FunkSvd(FunkSvdOptions options) : IRecommenderAlgorithm
{
    public FunkSvdOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Name => "funksvd";

    public string DisplayName => $"funksvd-f{Options.Factors}-e{Options.Epochs}";

    public IReadOnlyDictionary<string, string> Parameters => Options.ToParameters(Name);

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        Options.Validate();

        var factors = Options.Factors;
        var path = SgdPaths.Resolve(Options.Path);
        var stride = SgdPaths.StrideFor(path, factors);
        var random = new GaussianFill(Options.Seed);
        var userFactors = FactorLayout.RandomNormalRows(trainset.UserCount, factors, stride, Options.InitMean, Options.InitStdDev, ref random);
        var itemFactors = FactorLayout.RandomNormalRows(trainset.ItemCount, factors, stride, Options.InitMean, Options.InitStdDev, ref random);
        var userBias = new float[trainset.UserCount];
        var itemBias = new float[trainset.ItemCount];

        // The epochs run on cache-line-aligned copies of the factor rows (AlignedFloats says why).
        var grid = SgdBlocks.GridFor(Options, trainset);
        using (var alignedUsers = AlignedFloats.CopyOf(userFactors))
        {
            if (grid > 1)
            {
                using var blocks = SgdBlocks.Build(trainset, grid, Options.Seed);
                FitBlocked(blocks, path, stride, (float)trainset.GlobalMean, userBias, itemBias, alignedUsers, itemFactors, onEpoch, cancellationToken);
            }
            else
            {
                using var alignedItems = AlignedFloats.CopyOf(itemFactors);
                var clock = Stopwatch.StartNew();
                for (var epoch = 1; epoch <= Options.Epochs; epoch++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var sse = RunEpoch(path, trainset, userBias, itemBias, alignedUsers, alignedItems, stride,
                        (float)trainset.GlobalMean, (float)Options.LearningRate, (float)Options.Regularization);
                    onEpoch?.Invoke(new EpochReport(epoch, Math.Sqrt(sse / Math.Max(1, trainset.Count)), clock.Elapsed));
                }

                alignedItems.CopyTo(itemFactors);
            }

            alignedUsers.CopyTo(userFactors);
        }

        return new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, trainset.GlobalMean,
            userBias, itemBias, factors, stride, userFactors, itemFactors);
    }

    /// <summary>
    /// One epoch on four ratings with these options: the JIT compiles the epoch loop for this row length and path
    /// (its first epoch took 28 ms instead of 3 ms on the first fit of a process otherwise, docs/benchmarks.md §15).
    /// </summary>
    public void WarmUp()
    {
        RawRating[] tiny = [new("a", "x", 1, 0), new("a", "y", 2, 0), new("b", "x", 3, 0), new("b", "y", 4, 0)];
        new FunkSvd(Options with { Epochs = 1 }).Fit(Trainset.Build(tiny, new RatingScale(1, 5)));
    }

    /// <summary>
    /// The epochs on <see cref="SgdBlocks"/>: G threads, each training one block of a diagonal per sub-epoch with
    /// the same kernels as the single-threaded loop (on the AVX-512 register path, as two interleaved user streams:
    /// <see cref="FunkSvdPairKernel"/>). The item rows and biases are trained in the blocks' item order.
    /// Each block's squared errors are kept apart and summed in block order, so the train RMSE is deterministic too.
    /// </summary>
    private unsafe void FitBlocked(
        SgdBlocks blocks, SgdPath path, int stride, float mu, float[] userBias, float[] itemBias, AlignedFloats alignedUsers, float[] itemFactors,
        Action<EpochReport>? onEpoch, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var grid = blocks.Grid;
        using var alignedItems = AlignedFloats.Rent(itemFactors.Length);
        blocks.ToRelabelled<float>(itemFactors, alignedItems.AsSpan(), stride);
        var biases = new float[itemBias.Length];
        blocks.ToRelabelled<float>(itemBias, biases, 1);
        var sse = new double[grid * grid];
        var (lr, reg) = ((float)Options.LearningRate, (float)Options.Regularization);
        cancellationToken.ThrowIfCancellationRequested();
        var workers = Math.Min(Options.Threads, grid);
        SgdWorkers.Run(workers, Options.Epochs, grid,
            (thread, _, subEpoch) =>
            {
                for (var row = thread; row < grid; row += workers)
                {
                    var column = blocks.ColumnOf(row, subEpoch);
                    var (from, to) = blocks.Range(row, column);
                    fixed (int* users = blocks.Users, items = blocks.Items)
                    fixed (float* values = blocks.Values, bu = userBias, bi = biases)
                    {
                        sse[(row * grid) + column] = RunBlock(path, to - from, users + from, items + from, values + from, bu, bi,
                            alignedUsers.Pointer, alignedItems.Pointer, stride, mu, lr, reg);
                    }
                }
            },
            epoch =>
            {
                var total = 0.0;
                foreach (var block in sse)
                {
                    total += block;
                }

                onEpoch?.Invoke(new EpochReport(epoch, Math.Sqrt(total / Math.Max(1, blocks.Count)), clock.Elapsed));
                if (epoch < Options.Epochs)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            });

        blocks.FromRelabelled<float>(alignedItems.AsSpan(), itemFactors, stride);
        blocks.FromRelabelled<float>(biases, itemBias, 1);
    }

    /// <summary>
    /// One block of a parallel fit: on the AVX-512 register path as two interleaved user streams (<see cref="FunkSvdPairKernel"/>),
    /// elsewhere the epoch loop. (The same interleaving with both rows in memory, for AVX2 and 128-bit, was tried: 25 % slower
    /// than <see cref="FunkSvdLanesKernel"/> on one block, docs/benchmarks.md §30.)
    /// </summary>
    private static unsafe double RunBlock(
        SgdPath path, int n, int* users, int* items, float* values, float* bu, float* bi, float* pu, float* qi, int stride, float mu, float lr, float reg) =>
        path == SgdPath.V512 && FunkSvdPairKernel.Supports(stride)
            ? FunkSvdPairKernel.RunBlock(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg)
            : RunRatings(path, n, users, items, values, bu, bi, pu, qi, stride, mu, lr, reg);

    private static unsafe double RunEpoch(
        SgdPath path, Trainset trainset, float[] userBias, float[] itemBias, AlignedFloats userFactors, AlignedFloats itemFactors,
        int stride, float mu, float lr, float reg)
    {
        fixed (int* users = trainset.UserIndex, items = trainset.ItemIndex)
        fixed (float* values = trainset.Values, bu = userBias, bi = itemBias)
        {
            return RunRatings(path, trainset.Count, users, items, values, bu, bi, userFactors.Pointer, itemFactors.Pointer, stride, mu, lr, reg);
        }
    }

    // Jitted fully optimised at once: tiering would run the first epochs as unoptimised code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double RunRatings(
        SgdPath path, int n, int* users, int* items, float* values, float* bu, float* bi, float* pu, float* qi, int stride, float mu, float lr, float reg)
    {
        var epoch = new SgdEpoch
        {
            Count = n, Users = users, Items = items, Values = values, UserBias = bu, ItemBias = bi,
            UserFactors = pu, ItemFactors = qi, Stride = stride,
            Mean = mu, LearningRate = lr, Regularization = reg,
        };
        var lanes = FunkSvdLanesKernel.Supports(lr, reg);
        return path switch
        {
            SgdPath.V512 when FunkSvdRegisterKernel.Supports(stride) => FunkSvdRegisterKernel.RunEpoch(stride, n, users, items, values, bu, bi, pu, qi, mu, lr, reg),
            SgdPath.V512 when lanes => FunkSvdLanesKernel.RunEpoch<SgdLanes512, Vector512<float>>(epoch),
            SgdPath.V256 when lanes => FunkSvdLanesKernel.RunEpoch<SgdLanes256, Vector256<float>>(epoch),
            SgdPath.V128 when lanes => FunkSvdLanesKernel.RunEpoch<SgdLanes128, Vector128<float>>(epoch),
            _ => RunScalarEpoch(n, users, items, values, bu, bi, pu, qi, stride, mu, lr, reg),
        };
    }

    /// <summary>Surprise's loop as written, one float at a time: the fallback without SIMD.</summary>
    private static unsafe double RunScalarEpoch(int n, int* users, int* items, float* values, float* bu, float* bi, float* pu, float* qi, int stride, float mu, float lr, float reg)
    {
        double sse = 0;
        for (var k = 0; k < n; k++)
        {
            var u = users[k];
            var i = items[k];
            var p = pu + ((nint)u * stride);
            var q = qi + ((nint)i * stride);
            var dot = 0f;
            for (var f = 0; f < stride; f++)
            {
                dot += q[f] * p[f];
            }

            var err = values[k] - (mu + bu[u] + bi[i] + dot);
            sse += err * err;
            bu[u] += lr * (err - (reg * bu[u]));
            bi[i] += lr * (err - (reg * bi[i]));
            for (var f = 0; f < stride; f++)
            {
                var pf = p[f];
                var qf = q[f];
                p[f] += lr * ((err * qf) - (reg * pf));
                q[f] += lr * ((err * pf) - (reg * qf));
            }
        }

        return sse;
    }
}
