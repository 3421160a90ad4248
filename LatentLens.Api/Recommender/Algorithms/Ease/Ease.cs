using System.Globalization;
using System.Runtime.InteropServices;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="Ease"/> (docs/training.md, "ease"; the defaults: docs/benchmarks.md, EASE).</summary>
internal sealed record EaseOptions
{
    /// <summary>
    /// λ, added to the diagonal of XᵀX (<c>--reg</c>). Its scale follows X's: rating values want a larger λ than 0/1 ones.
    /// 4000: the best of 250–16000 on ml-latest-small, 5-fold with seed 1 (the reported folds are seed 0's).
    /// </summary>
    public double Lambda { get; init; } = 4000;

    /// <summary>True: X holds 1 for every rating (<c>--binary</c>); false: the rating values.</summary>
    public bool Binary { get; init; }

    /// <summary>
    /// The largest weights |B_ij| kept in each row i (<c>--neighbours</c>); 0 keeps the whole dense B. 620: as many as fit
    /// the artifact budget of issue #26 (50 MB on ml-latest-small: 8 bytes a weight, 9,724 items, 49.6 MB in all). More only gain accuracy
    /// (at λ = 4000 on ml-latest-small, 5-fold, seed 1: NDCG@10 0.3137 at 500, 0.3165 at 1000, 0.3202 dense, 378 MB),
    /// at a cost in memory and serving time that is the budget's to decide (docs/benchmarks.md §29, §30).
    /// </summary>
    public int Neighbours { get; init; } = 620;

    /// <summary>Threads of the inverse and of the sparsification.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public void Validate()
    {
        if (!(Lambda > 0) || !double.IsFinite(Lambda))
        {
            throw new ArgumentOutOfRangeException(nameof(Lambda), Lambda, "ease's --reg (λ) must be positive");
        }

        if (Neighbours < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Neighbours), Neighbours, "--neighbours must be 0 (keep all) or positive");
        }
    }
}

/// <summary>
/// EASE^R (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): the item × item weights
/// B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹ and X the user × item matrix (ratings, or 1s), so that diag(B) = 0
/// and B is the closed-form least-squares solution of X ≈ XB under that constraint. A user's score of item j is
/// Σ over the user's items i of x_ui · B_ij: no user factors, so any history is scored the same way (EaseFoldIn).
/// </summary>
/// <remarks>
/// The cost is the inverse of the items × items Gram matrix: n³/2 multiply-adds in float by <see cref="SpdInverse"/>
/// (docs/benchmarks.md §25: about 6.5 s of CPU time for ml-latest-small's 9,724 items, shared by both cores). The dense B would be n²
/// floats (378 MB there), so each row keeps its <see cref="EaseOptions.Neighbours"/> weights of largest magnitude.
/// </remarks>
internal sealed class Ease(EaseOptions options) : IRecommenderAlgorithm
{
    public const string AlgorithmName = "ease";

    public EaseOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Name => AlgorithmName;

    public string DisplayName => string.Create(CultureInfo.InvariantCulture,
        $"ease-l{Options.Lambda:R}-n{Options.Neighbours}{(Options.Binary ? "-binary" : string.Empty)}");

    public IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>
    {
        ["algorithm"] = Name,
        ["reg"] = Options.Lambda.ToString("R", CultureInfo.InvariantCulture),
        ["binary"] = Options.Binary ? "true" : "false",
        ["neighbours"] = Options.Neighbours.ToString(CultureInfo.InvariantCulture),
    };

    public void WarmUp()
    {
        var items = new IdMap();
        var users = new IdMap();
        for (var i = 0; i < 40; i++)
        {
            items.GetOrAdd(i.ToString(CultureInfo.InvariantCulture));
            users.GetOrAdd(i.ToString(CultureInfo.InvariantCulture));
        }

        var u = Enumerable.Range(0, 200).Select(k => k % 40).ToArray();
        var i2 = Enumerable.Range(0, 200).Select(k => (k * 7) % 40).ToArray();
        var r = Enumerable.Repeat(4f, 200).ToArray();
        Fit(Trainset.FromIndices(users, items, u, i2, r, new RatingScale(1, 5)));
    }

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        Options.Validate();
        var weights = FitWeights(trainset, Options, cancellationToken);
        var model = new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, trainset.GlobalMean,
            new float[trainset.UserCount], new float[trainset.ItemCount], factors: 0, stride: 0, [], [])
        {
            PredictsRatings = false,
            ItemWeights = weights,
        };
        return model;
    }

    /// <summary>The sparse B of <paramref name="trainset"/> (see the class).</summary>
    internal static unsafe ItemWeights FitWeights(Trainset trainset, EaseOptions options, CancellationToken cancellationToken = default)
    {
        var n = trainset.ItemCount;
        var order = SpdInverse.PaddedOrder(Math.Max(1, n));
        var bytes = (nuint)order * (nuint)order * sizeof(float);
        var a = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        try
        {
            // Touching 378 MB for the first time is a page fault per 4 KB: both cores take their share.
            var rowsPerPart = (order + Math.Max(1, options.Threads) - 1) / Math.Max(1, options.Threads);
            Parallel.For(0, Math.Max(1, options.Threads), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads) }, part =>
            {
                var first = Math.Min(order, part * rowsPerPart);
                var last = Math.Min(order, first + rowsPerPart);
                NativeMemory.Clear(a + ((long)first * order), (nuint)(last - first) * (nuint)order * sizeof(float));
            });
            Gram(trainset, options, a, order);
            for (var i = 0; i < order; i++)
            {
                a[((long)i * order) + i] += i < n ? (float)options.Lambda : 1f;
            }

            cancellationToken.ThrowIfCancellationRequested();
            SpdInverse.InvertLower(a, order, options.Threads);
            cancellationToken.ThrowIfCancellationRequested();
            SpdInverse.MirrorLower(a, order, options.Threads);
            return Sparsify(a, n, order, options);
        }
        finally
        {
            NativeMemory.AlignedFree(a);
        }
    }

    /// <summary>The lower triangle of XᵀX: for every user, every pair of the user's items (items ascending, so row i gets columns ≤ i).</summary>
    private static unsafe void Gram(Trainset trainset, EaseOptions options, float* a, int order)
    {
        var starts = RowIndex.StartsOf(trainset.UserIndex, trainset.UserCount);
        var threads = Math.Max(1, options.Threads);
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
        {
            var items = new List<(int Item, float X)>();
            for (var u = 0; u < trainset.UserCount; u++)
            {
                items.Clear();
                for (var k = starts[u]; k < starts[u + 1]; k++)
                {
                    items.Add((trainset.ItemIndex[k], options.Binary ? 1f : trainset.Values[k]));
                }

                items.Sort((x, y) => x.Item.CompareTo(y.Item));
                var span = CollectionsMarshal.AsSpan(items);
                for (var p = 0; p < span.Length; p++)
                {
                    // Each thread owns every threads-th row, so no two write the same entry.
                    var (i, x) = span[p];
                    if (i % threads != part)
                    {
                        continue;
                    }

                    var row = a + ((long)i * order);
                    for (var q = 0; q <= p; q++)
                    {
                        row[span[q].Item] += x * span[q].X;
                    }
                }
            }
        });
    }

    /// <summary>B_ij = −P_ij / P_jj (j ≠ i) from the whole symmetric P, each row's <see cref="EaseOptions.Neighbours"/> largest |B_ij| kept (ties: lower j).</summary>
    private static unsafe ItemWeights Sparsify(float* p, int n, int order, EaseOptions options)
    {
        var keep = options.Neighbours == 0 ? Math.Max(0, n - 1) : Math.Min(options.Neighbours, Math.Max(0, n - 1));
        var scale = new float[n];
        for (var j = 0; j < n; j++)
        {
            scale[j] = -1f / p[((long)j * order) + j];
        }

        var offsets = new int[n + 1];
        for (var i = 0; i <= n; i++)
        {
            offsets[i] = checked(i * keep);
        }

        var columns = new int[offsets[n]];
        var values = new float[offsets[n]];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads) },
            () => (Row: new float[n], Magnitudes: new float[n]),
            (i, _, buffers) =>
            {
                var row = buffers.Row;
                System.Numerics.Tensors.TensorPrimitives.Multiply(new ReadOnlySpan<float>(p + ((long)i * order), n), scale, row);
                row[i] = 0;
                var outColumns = columns.AsSpan(offsets[i], keep);
                var outValues = values.AsSpan(offsets[i], keep);
                if (keep == n - 1)
                {
                    for (int j = 0, k = 0; j < n; j++)
                    {
                        if (j != i)
                        {
                            outColumns[k] = j;
                            outValues[k++] = row[j];
                        }
                    }

                    return buffers;
                }

                var magnitudes = buffers.Magnitudes;
                System.Numerics.Tensors.TensorPrimitives.Abs(row, magnitudes);
                magnitudes[i] = -1;
                var threshold = KthLargest(magnitudes, keep);
                System.Numerics.Tensors.TensorPrimitives.Abs(row, magnitudes);
                magnitudes[i] = -1;
                var above = 0;
                for (var j = 0; j < n; j++)
                {
                    above += magnitudes[j] > threshold ? 1 : 0;
                }

                var ties = keep - above;
                for (int j = 0, k = 0; j < n && k < keep; j++)
                {
                    var m = magnitudes[j];
                    if (m > threshold || (m == threshold && ties-- > 0))
                    {
                        outColumns[k] = j;
                        outValues[k++] = row[j];
                    }
                }

                return buffers;
            },
            _ => { });
        return new ItemWeights(n, offsets, columns, values, options.Binary);
    }

    /// <summary>The k-th largest value (k ≥ 1) of <paramref name="values"/>, which it reorders (quickselect).</summary>
    internal static float KthLargest(Span<float> values, int k)
    {
        var target = k - 1;
        int lo = 0, hi = values.Length - 1;
        while (lo < hi)
        {
            var pivot = values[lo + ((hi - lo) / 2)];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] > pivot)
                {
                    i++;
                }

                while (values[j] < pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            if (target <= j)
            {
                hi = j;
            }
            else if (target >= i)
            {
                lo = i;
            }
            else
            {
                return values[target];
            }
        }

        return values[target];
    }
}
