using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>Hyper-parameters of <see cref="ImplicitAls"/>; the defaults are those of the Python <c>implicit</c> library's ALS.</summary>
internal sealed record ImplicitAlsOptions
{
    public int Factors { get; init; } = 100;

    /// <summary>λ, added to the diagonal of YᵀY (and XᵀX): the same penalty for every row, however many ratings it has.</summary>
    public double Regularization { get; init; } = 0.01;

    /// <summary>α in the confidence c = 1 + α·r of a rated pair.</summary>
    public double Alpha { get; init; } = 1.0;

    /// <summary>Alternating iterations; each updates every user, then every item.</summary>
    public int Iterations { get; init; } = 15;

    /// <summary>Conjugate-gradient steps per row and half-iteration, started from the row's current value.</summary>
    public int CgSteps { get; init; } = 3;

    public int Seed { get; init; }

    public void Validate()
    {
        if (Factors < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Factors), Factors, "factors must be at least 1");
        }

        if (Iterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "iterations must be at least 1");
        }

        if (!(Regularization >= 0) || !double.IsFinite(Regularization))
        {
            throw new ArgumentOutOfRangeException(nameof(Regularization), Regularization, "the regularization must be zero or positive");
        }

        if (!(Alpha >= 0) || !double.IsFinite(Alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "alpha must be zero or positive");
        }

        if (CgSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CgSteps), CgSteps, "cg steps must be at least 1");
        }
    }
}

/// <summary>
/// Implicit-feedback matrix factorisation (Hu, Koren, Volinsky 2008): every rated pair has
/// preference 1 and confidence c = 1 + α·r, every other pair preference 0 and confidence 1;
/// minimises Σ_all c_ui (p_ui − x_u·y_i)² + λ(Σ|x_u|² + Σ|y_i|²) by alternating least squares,
/// each row solved approximately by a few conjugate-gradient steps from its current value
/// (Takács, Pilászy, Tikk 2011), as the Python <c>implicit</c> library does.
/// The model ranks by x_u·y_i; it has no biases and predicts no ratings.
/// </summary>
/// <remarks>
/// The unrated pairs never appear one by one: A = YᵀC_uY + λI = (YᵀY + λI) + Σ_{i∈N(u)} (c_ui − 1) y_i y_iᵀ,
/// with YᵀY + λI computed once per half-iteration, so a row costs one f × f product per CG step
/// plus two passes over its rated rows. Rows are solved in parallel; each reads only the other
/// side, fixed during the half-iteration, so the result does not depend on the scheduling.
/// The loss reported per iteration is <c>implicit</c>'s <c>calculate_loss</c>: the full objective
/// divided by the total confidence (Σ_obs c + the number of unrated pairs).
/// </remarks>
internal sealed class ImplicitAls(ImplicitAlsOptions options) : IRecommenderAlgorithm
{
    // Rows per partial sum of a Gram matrix: fixed, so the summation order (and the result) does not depend on the core count.
    private const int GramBlock = 128;

    public ImplicitAlsOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    public string Name => "als";

    public string DisplayName => $"als-f{Options.Factors}-i{Options.Iterations}";

    public IReadOnlyDictionary<string, string> Parameters => new Dictionary<string, string>
    {
        ["algorithm"] = Name,
        ["factors"] = Options.Factors.ToString(CultureInfo.InvariantCulture),
        ["iterations"] = Options.Iterations.ToString(CultureInfo.InvariantCulture),
        ["regularization"] = Options.Regularization.ToString("R", CultureInfo.InvariantCulture),
        ["alpha"] = Options.Alpha.ToString("R", CultureInfo.InvariantCulture),
        ["cg_steps"] = Options.CgSteps.ToString(CultureInfo.InvariantCulture),
        ["seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture),
    };

    public FactorModel Fit(Trainset trainset, Action<EpochReport>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainset);
        Options.Validate();
        var clock = Stopwatch.StartNew();

        var factors = Options.Factors;
        var stride = FactorLayout.StrideFor(factors);
        var users = trainset.UserCount;
        var items = trainset.ItemCount;
        var reg = (float)Options.Regularization;
        var steps = Options.CgSteps;

        var random = new Random(Options.Seed);
        var x = UniformRows(users, factors, stride, random);
        var y = UniformRows(items, factors, stride, random);

        var byUser = Adjacency.ByUser(trainset, (float)Options.Alpha);
        var byItem = Adjacency.ByItem(trainset, (float)Options.Alpha);

        var gramY = Gram(y, items, factors, stride, reg);
        for (var iteration = 1; iteration <= Options.Iterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SolveAll(x, users, gramY, y, byUser, factors, stride, steps);
            var gramX = Gram(x, users, factors, stride, reg);
            SolveAll(y, items, gramX, x, byItem, factors, stride, steps);
            gramY = Gram(y, items, factors, stride, reg);
            if (onEpoch is not null)
            {
                var loss = Loss(x, y, gramY, byUser, users, items, factors, stride, reg);
                onEpoch(new EpochReport(iteration, loss, clock.Elapsed));
            }
        }

        return new FactorModel(Name, trainset.Users, trainset.Items, trainset.Scale, globalMean: 0,
            new float[users], new float[items], factors, stride, x, y)
        {
            PredictsRatings = false,
        };
    }

    /// <summary>
    /// G = YᵀY + λI over the first <paramref name="factors"/> columns of <paramref name="count"/> rows,
    /// as a <paramref name="stride"/> × <paramref name="stride"/> row-major matrix whose padding is zero.
    /// </summary>
    internal static float[] Gram(float[] rows, int count, int factors, int stride, float regularization)
    {
        var blocks = (count + GramBlock - 1) / GramBlock;
        var partials = new float[blocks][];
        Parallel.For(0, blocks, b => partials[b] = GramOfRows(rows, b * GramBlock, Math.Min(count, (b + 1) * GramBlock), factors, stride));

        var gram = new float[stride * stride];
        foreach (var partial in partials)
        {
            AddInto(gram, partial);
        }

        for (var a = 0; a < factors; a++)
        {
            gram[(a * stride) + a] += regularization;
        }

        return gram;
    }

    // Every loop of a fit runs in methods jitted fully optimised at once (AggressiveOptimization): a cold
    // process would otherwise run them, and the generic TensorPrimitives code they called, unoptimised
    // until tiering caught up, which on a busy machine took most of the first fit.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float[] GramOfRows(float[] rows, int start, int end, int factors, int stride)
    {
        var g = new float[stride * stride];
        fixed (float* pr = rows, pg = g)
        {
            for (var r = start; r < end; r++)
            {
                var row = pr + ((nint)r * stride);
                for (var a = 0; a < factors; a++)
                {
                    if (row[a] != 0)
                    {
                        Axpy(row[a], row, pg + ((nint)a * stride), stride);
                    }
                }
            }
        }

        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddInto(float[] target, float[] source)
    {
        fixed (float* t = target, s = source)
        {
            Axpy(1f, s, t, target.Length);
        }
    }

    /// <summary>
    /// One row's update: a few CG steps on (G + Σ_k w_k y_k y_kᵀ) x = Σ_k (1 + w_k) y_k from the current
    /// <paramref name="x"/>, where G = YᵀY + λI, y_k the other side's rows <paramref name="neighbours"/>
    /// and w_k = c_k − 1 = α·r_k. <paramref name="work"/> holds at least 3 × stride + |neighbours| floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void SolveRow(
        ReadOnlySpan<float> gram, ReadOnlySpan<float> other, ReadOnlySpan<int> neighbours, ReadOnlySpan<float> weights,
        Span<float> x, int factors, int stride, int cgSteps, Span<float> work)
    {
        if (gram.Length < stride * stride || x.Length < stride || work.Length < (3 * stride) + neighbours.Length || weights.Length < neighbours.Length
            || stride < 1 || stride % PaddedRows.Granule != 0 || factors > stride)
        {
            throw new ArgumentException("The spans do not match the stride.");
        }

        foreach (var k in neighbours)
        {
            if ((uint)k >= (uint)(other.Length / stride))
            {
                throw new ArgumentOutOfRangeException(nameof(neighbours), k, "a neighbour is not a row of the other side");
            }
        }

        // The Gram matrix's rows are multiplied by the same kernel as the neighbours' rows, listed 0, 1, …, f − 1.
        Span<int> gramRows = factors <= 1024 ? stackalloc int[factors] : new int[factors];
        FillRowNumbers(gramRows);
        fixed (float* g = gram, y = other, w = weights, xu = x, buffer = work)
        fixed (int* nb = neighbours, gr = gramRows)
        {
            SolveRow(g, gr, y, nb, w, neighbours.Length, xu, factors, stride, cgSteps, buffer, buffer + (3 * stride));
        }
    }

    // The hot loop: raw pointers over whole 256-bit vectors (the stride is a multiple of 8), no bounds checks;
    // jitted fully optimised from the first call, since a fit is a few hundred milliseconds.
    // coefficients is scratch for count floats: the per-neighbour dot products, then their weights.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SolveRow(
        float* gram, int* gramRows, float* other, int* neighbours, float* weights, int count, float* x, int factors, int stride, int cgSteps, float* work, float* coefficients)
    {
        var r = work;
        var p = work + stride;
        var ap = work + (2 * stride);

        // r = b − A x = −G x + Σ_k (c_k − (c_k − 1) y_k·x) y_k
        MultiplyGram(gram, gramRows, x, r, factors, stride, -1f);
        DotRows(other, neighbours, count, x, stride, coefficients);
        for (var k = 0; k < count; k++)
        {
            var w = weights[k];
            coefficients[k] = 1 + w - (w * coefficients[k]);
        }

        AddRows(other, neighbours, count, coefficients, r, stride);

        new Span<float>(r, stride).CopyTo(new Span<float>(p, stride));
        var rsOld = PaddedRows.Dot(r, r, stride);
        if (rsOld < 1e-20f)
        {
            return;
        }

        for (var step = 0; step < cgSteps; step++)
        {
            // A p = G p + Σ_k (c_k − 1)(y_k·p) y_k, never forming A.
            MultiplyGram(gram, gramRows, p, ap, factors, stride, 1f);
            DotRows(other, neighbours, count, p, stride, coefficients);
            for (var k = 0; k < count; k++)
            {
                coefficients[k] *= weights[k];
            }

            AddRows(other, neighbours, count, coefficients, ap, stride);

            var alpha = rsOld / PaddedRows.Dot(p, ap, stride);
            Axpy(alpha, p, x, stride);
            Axpy(-alpha, ap, r, stride);
            var rsNew = PaddedRows.Dot(r, r, stride);
            if (rsNew < 1e-20f)
            {
                return;
            }

            // p = r + (rsNew / rsOld) p
            var beta = Vector256.Create(rsNew / rsOld);
            for (var j = 0; j < stride; j += Vector256<float>.Count)
            {
                Vector256.FusedMultiplyAdd(Vector256.Load(p + j), beta, Vector256.Load(r + j)).Store(p + j);
            }

            rsOld = rsNew;
        }
    }

    /// <summary>dots[k] = y_{neighbours[k]}·v; four rows per pass over v, so four independent FMA chains share each load of v.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotRows(float* rows, int* neighbours, int count, float* v, int stride, float* dots)
    {
        var k = 0;
        for (; k + 4 <= count; k += 4)
        {
            var y0 = rows + ((nint)neighbours[k] * stride);
            var y1 = rows + ((nint)neighbours[k + 1] * stride);
            var y2 = rows + ((nint)neighbours[k + 2] * stride);
            var y3 = rows + ((nint)neighbours[k + 3] * stride);
            var s0 = Vector256<float>.Zero;
            var s1 = Vector256<float>.Zero;
            var s2 = Vector256<float>.Zero;
            var s3 = Vector256<float>.Zero;
            for (var j = 0; j < stride; j += Vector256<float>.Count)
            {
                var vj = Vector256.Load(v + j);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(y0 + j), vj, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(y1 + j), vj, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(y2 + j), vj, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(y3 + j), vj, s3);
            }

            dots[k] = Vector256.Sum(s0);
            dots[k + 1] = Vector256.Sum(s1);
            dots[k + 2] = Vector256.Sum(s2);
            dots[k + 3] = Vector256.Sum(s3);
        }

        for (; k < count; k++)
        {
            dots[k] = PaddedRows.Dot(rows + ((nint)neighbours[k] * stride), v, stride);
        }
    }

    /// <summary>target += Σ_k coefficients[k]·y_{neighbours[k]}; four rows per load and store of the target.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddRows(float* rows, int* neighbours, int count, float* coefficients, float* target, int stride)
    {
        var k = 0;
        for (; k + 4 <= count; k += 4)
        {
            var y0 = rows + ((nint)neighbours[k] * stride);
            var y1 = rows + ((nint)neighbours[k + 1] * stride);
            var y2 = rows + ((nint)neighbours[k + 2] * stride);
            var y3 = rows + ((nint)neighbours[k + 3] * stride);
            var c0 = Vector256.Create(coefficients[k]);
            var c1 = Vector256.Create(coefficients[k + 1]);
            var c2 = Vector256.Create(coefficients[k + 2]);
            var c3 = Vector256.Create(coefficients[k + 3]);
            for (var j = 0; j < stride; j += Vector256<float>.Count)
            {
                var t = Vector256.Load(target + j);
                t = Vector256.FusedMultiplyAdd(Vector256.Load(y0 + j), c0, t);
                t = Vector256.FusedMultiplyAdd(Vector256.Load(y1 + j), c1, t);
                t = Vector256.FusedMultiplyAdd(Vector256.Load(y2 + j), c2, t);
                t = Vector256.FusedMultiplyAdd(Vector256.Load(y3 + j), c3, t);
                t.Store(target + j);
            }
        }

        for (; k < count; k++)
        {
            Axpy(coefficients[k], rows + ((nint)neighbours[k] * stride), target, stride);
        }
    }

    /// <summary>y += a·x over <paramref name="stride"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Axpy(float a, float* x, float* y, int stride)
    {
        var av = Vector256.Create(a);
        for (var j = 0; j < stride; j += Vector256<float>.Count)
        {
            Vector256.FusedMultiplyAdd(Vector256.Load(x + j), av, Vector256.Load(y + j)).Store(y + j);
        }
    }

    /// <summary>result = sign · G v over the first <paramref name="factors"/> rows (listed by <paramref name="gramRows"/>, 0 to factors − 1), zero beyond.</summary>
    private static unsafe void MultiplyGram(float* gram, int* gramRows, float* v, float* result, int factors, int stride, float sign)
    {
        DotRows(gram, gramRows, factors, v, stride, result);
        for (var a = 0; a < stride; a++)
        {
            result[a] = a < factors ? sign * result[a] : 0;
        }
    }

    private static void FillRowNumbers(Span<int> rows)
    {
        for (var a = 0; a < rows.Length; a++)
        {
            rows[a] = a;
        }
    }

    private static void SolveAll(float[] rows, int count, float[] gram, float[] other, Adjacency adjacency, int factors, int stride, int cgSteps)
    {
        Parallel.For(
            0,
            count,
            () => new float[(3 * stride) + adjacency.MaxDegree],
            (row, _, work) =>
            {
                var (start, end) = (adjacency.Start[row], adjacency.Start[row + 1]);
                SolveRow(gram, other, adjacency.Index.AsSpan(start, end - start), adjacency.Weight.AsSpan(start, end - start),
                    rows.AsSpan(row * stride, stride), factors, stride, cgSteps, work);
                return work;
            },
            _ => { });
    }

    /// <summary>
    /// implicit's <c>calculate_loss</c>: (Σ_obs c (1 − s)² + Σ_unobs s² + λ(|X|² + |Y|²)) / (Σ_obs c + unobserved count),
    /// with Σ_unobs s² = Σ_all s² − Σ_obs s² and Σ_all s² = Σ_u x_uᵀ(YᵀY)x_u. Costs about one CG step.
    /// </summary>
    private static double Loss(float[] x, float[] y, float[] gramY, Adjacency byUser, int users, int items, int factors, int stride, float reg)
    {
        var perUser = new double[users];
        var confidence = new double[users];
        Parallel.For(
            0,
            users,
            () => new float[stride + byUser.MaxDegree],
            (u, _, buffer) =>
            {
                (perUser[u], confidence[u]) = UserLoss(x, y, gramY, byUser, u, factors, stride, buffer);
                return buffer;
            },
            _ => { });

        double loss = 0;
        double totalConfidence = 0;
        for (var u = 0; u < users; u++)
        {
            loss += perUser[u];
            totalConfidence += confidence[u];
        }

        loss += reg * SquaredNorm(y);
        var unobserved = ((double)users * items) - byUser.Index.Length;
        return loss / Math.Max(1, totalConfidence + unobserved);
    }

    /// <summary>
    /// A user's share of the objective before normalisation: x_uᵀ(YᵀY + λI)x_u = Σ_all items s_ui² + λ|x_u|²,
    /// plus Σ_obs (c_ui(1 − s_ui)² − s_ui²), which swaps the rated items' s² for their weighted error; and Σ_obs c_ui.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double Loss, double Confidence) UserLoss(float[] x, float[] y, float[] gramY, Adjacency byUser, int u, int factors, int stride, float[] buffer)
    {
        var start = byUser.Start[u];
        var count = byUser.Start[u + 1] - start;
        Span<int> gramRows = factors <= 1024 ? stackalloc int[factors] : new int[factors];
        FillRowNumbers(gramRows);
        fixed (float* px = x, py = y, g = gramY, buf = buffer, w = byUser.Weight)
        fixed (int* gr = gramRows, index = byUser.Index)
        {
            var xu = px + ((nint)u * stride);
            MultiplyGram(g, gr, xu, buf, factors, stride, 1f);
            double sum = PaddedRows.Dot(xu, buf, stride);
            var scores = buf + stride;
            DotRows(py, index + start, count, xu, stride, scores);
            double c = 0;
            for (var k = 0; k < count; k++)
            {
                double s = scores[k];
                var cui = 1.0 + w[start + k];
                sum += (cui * (1 - s) * (1 - s)) - (s * s);
                c += cui;
            }

            return (sum, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double SquaredNorm(float[] rows)
    {
        double sum = 0;
        fixed (float* p = rows)
        {
            for (var j = 0; j < rows.Length; j += Vector256<float>.Count)
            {
                var v = Vector256.Load(p + j);
                sum += Vector256.Sum(v * v);
            }
        }

        return sum;
    }

    private static float[] UniformRows(int count, int factors, int stride, Random random)
    {
        var rows = new float[count * stride];
        for (var r = 0; r < count; r++)
        {
            for (var f = 0; f < factors; f++)
            {
                rows[(r * stride) + f] = random.NextSingle() * 0.01f;
            }
        }

        return rows;
    }

    /// <summary>One side's ratings in compressed rows: for row j, Index[Start[j]..Start[j+1]] are the other side's indices, Weight = α·r.</summary>
    private sealed record Adjacency(int[] Start, int[] Index, float[] Weight)
    {
        public int MaxDegree { get; } = Enumerable.Range(0, Start.Length - 1).Select(j => Start[j + 1] - Start[j]).DefaultIfEmpty().Max();

        public static Adjacency ByUser(Trainset trainset, float alpha) =>
            Build(trainset.UserIndex, trainset.ItemIndex, trainset.Values, trainset.UserCount, alpha);

        public static Adjacency ByItem(Trainset trainset, float alpha) =>
            Build(trainset.ItemIndex, trainset.UserIndex, trainset.Values, trainset.ItemCount, alpha);

        // Within a row the entries keep the trainset's order.
        private static Adjacency Build(int[] rowOf, int[] columnOf, float[] values, int rows, float alpha)
        {
            var byRow = RowIndex.Build(rowOf, rows);
            var weight = byRow.Arrange<float>(values);
            for (var k = 0; k < weight.Length; k++)
            {
                weight[k] *= alpha;
            }

            return new Adjacency(byRow.Starts, byRow.Arrange<int>(columnOf), weight);
        }
    }
}
