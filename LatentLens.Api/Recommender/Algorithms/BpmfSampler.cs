using System.Diagnostics;
using System.Runtime.CompilerServices;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>The state of one Gibbs chain of <see cref="Bpmf"/>.</summary>
internal sealed class BpmfSampler
{
    private const double Beta0 = 2;

    private readonly BpmfOptions _o;
    private readonly Trainset _t;
    private readonly int _k;
    private readonly int _d;
    private readonly double _mu;
    private readonly int[] _userStarts;
    private readonly int[] _itemStarts;
    private readonly int[] _itemUsers;
    private readonly float[] _itemValues;

    // [p_u, b_u] and [q_i, b_i] rows of k + 1; y_j and the implicit sums s_u rows of k.
    private readonly double[] _u;
    private readonly double[] _v;
    private readonly double[] _y;
    private readonly double[] _s;
    private readonly double[] _c;
    private readonly Hyper _hu;
    private readonly Hyper _hv;
    private readonly Hyper _hy;
    private double _alpha;

    // The implicit step's buffers, kept across sweeps: G_u, g_u, and each item's Σ α c_u² G_u.
    private double[]? _gram;
    private double[]? _grad;
    private double[]? _itemGram;

    private readonly int[] _probeUser;
    private readonly int[] _probeItem;
    private readonly float[] _probeValue;
    private readonly double[] _probeSum;

    public BpmfSampler(BpmfOptions options, Trainset trainset, IReadOnlyList<RawRating> probe)
    {
        _o = options;
        _t = trainset;
        _k = options.Factors;
        _d = _k + 1;
        _mu = trainset.GlobalMean;
        _userStarts = SvdPlusPlus.UserStarts(trainset);
        (_itemStarts, _itemUsers, _itemValues) = ByItem(trainset);
        var random = new GaussianFill(Stream(options.Seed, 0, 0, 0));
        _u = Draw(trainset.UserCount * _d, ref random);
        _v = Draw(trainset.ItemCount * _d, ref random);
        _y = options.Implicit ? Draw(trainset.ItemCount * _k, ref random) : [];
        _s = new double[options.Implicit ? trainset.UserCount * _k : 0];
        _c = new double[trainset.UserCount];
        for (var u = 0; u < trainset.UserCount; u++)
        {
            var n = _userStarts[u + 1] - _userStarts[u];
            _c[u] = n == 0 ? 0 : 1 / Math.Sqrt(n);
        }

        _hu = new Hyper(_d);
        _hv = new Hyper(_d);
        _hy = new Hyper(_k);
        _alpha = options.Precision;
        RecomputeImplicitSums();

        _probeUser = new int[probe.Count];
        _probeItem = new int[probe.Count];
        _probeValue = new float[probe.Count];
        _probeSum = new double[probe.Count];
        for (var n = 0; n < probe.Count; n++)
        {
            _probeUser[n] = trainset.Users.TryGetIndex(probe[n].User, out var pu) ? pu : -1;
            _probeItem[n] = trainset.Items.TryGetIndex(probe[n].Item, out var pi) ? pi : -1;
            _probeValue[n] = probe[n].Value;
        }
    }

    public FactorModel Run(string name, Action<EpochReport>? onEpoch, CancellationToken cancellationToken)
    {
        var kept = _o.KeptSamples;
        var width = _k * kept;
        var stride = FactorLayout.StrideFor(width);
        var userFactors = new float[_t.UserCount * stride];
        var itemFactors = new float[_t.ItemCount * stride];
        var userBias = new double[_t.UserCount];
        var itemBias = new double[_t.ItemCount];
        var scale = 1 / Math.Sqrt(kept);
        var keptSoFar = 0;
        var clock = Stopwatch.StartNew();
        for (var sample = 1; sample <= _o.Samples; sample++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sse = Sweep(sample);
            var testRmse = ProbeRmse(sample);
            if (_o.Keeps(sample))
            {
                Keep(keptSoFar++, scale, stride, userFactors, itemFactors, userBias, itemBias);
            }

            onEpoch?.Invoke(new EpochReport(sample, Math.Sqrt(sse / Math.Max(1, _t.Count)), clock.Elapsed) { TestRmse = testRmse });
        }

        Debug.Assert(keptSoFar == kept, "every kept sample was written");
        return new FactorModel(name, _t.Users, _t.Items, _t.Scale, _mu,
            Array.ConvertAll(userBias, b => (float)(b / kept)), Array.ConvertAll(itemBias, b => (float)(b / kept)),
            width, stride, userFactors, itemFactors);
    }

    /// <summary>One Gibbs sweep; returns the sum of squared training errors of the new sample.</summary>
    internal double Sweep(int sample)
    {
        var random = new Random(unchecked((int)Stream(_o.Seed, sample, 0, 0)));
        _hu.Sample(_u, _t.UserCount, _d, random);
        Parallel.For(0, _t.UserCount, () => new Scratch(_d), (u, _, scratch) =>
        {
            SampleUser(u, sample, scratch);
            return scratch;
        }, _ => { });

        _hv.Sample(_v, _t.ItemCount, _d, random);
        Parallel.For(0, _t.ItemCount, () => new Scratch(_d), (i, _, scratch) =>
        {
            SampleItem(i, sample, scratch);
            return scratch;
        }, _ => { });

        if (_o.Implicit)
        {
            _hy.Sample(_y, _t.ItemCount, _k, random);
            SampleImplicit(sample);
        }

        var userSse = new double[_t.UserCount];
        Parallel.For(0, _t.UserCount, u => userSse[u] = UserSse(u));
        var sse = 0.0;
        foreach (var e in userSse)
        {
            sse += e;
        }

        if (_o.SamplePrecision)
        {
            // Gamma(1, 1) prior: the posterior is Gamma(1 + N/2, 1 + SSE/2).
            _alpha = MathNet.Numerics.Distributions.Gamma.Sample(random, 1 + (_t.Count / 2.0), 1 + (sse / 2));
        }

        return sse;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SampleUser(int u, int sample, Scratch scratch)
    {
        var (k, d) = (_k, _d);
        var (p, b) = (scratch.Precision, scratch.Linear);
        Array.Clear(p);
        Array.Clear(b);
        ReadOnlySpan<double> su = _o.Implicit ? _s.AsSpan(u * k, k) : default;
        var items = _t.ItemIndex;
        var values = _t.Values;
        for (var r = _userStarts[u]; r < _userStarts[u + 1]; r++)
        {
            var vi = _v.AsSpan(items[r] * d, d);
            var target = values[r] - _mu - vi[k] - (_o.Implicit ? Dot(vi[..k], su) : 0);
            AddOuter(p, b, vi[..k], target, d);
        }

        var random = new GaussianFill(Stream(_o.Seed, sample, 1, u));
        Gaussian.Draw(p, b, d, _alpha, _hu.Lambda, _hu.LambdaMu, ref random, scratch.Noise, _u.AsSpan(u * d, d));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SampleItem(int i, int sample, Scratch scratch)
    {
        var (k, d) = (_k, _d);
        var (p, b, x) = (scratch.Precision, scratch.Linear, scratch.Feature);
        Array.Clear(p);
        Array.Clear(b);
        for (var r = _itemStarts[i]; r < _itemStarts[i + 1]; r++)
        {
            var u = _itemUsers[r];
            var pu = _u.AsSpan(u * d, d);
            pu[..k].CopyTo(x);
            if (_o.Implicit)
            {
                Add(x.AsSpan(0, k), _s.AsSpan(u * k, k));
            }

            AddOuter(p, b, x, _itemValues[r] - _mu - pu[k], d);
        }

        var random = new GaussianFill(Stream(_o.Seed, sample, 2, i));
        Gaussian.Draw(p, b, d, _alpha, _hv.Lambda, _hv.LambdaMu, ref random, scratch.Noise, _v.AsSpan(i * d, d));
    }

    /// <summary>
    /// The y_j in turn. With G_u = Σ_{i∈R(u)} q_i q_iᵀ and g_u = Σ_i q_i e_ui (e the full residual), y_j's
    /// conditional has precision Λ_Y + α Σ_{u∋j} c_u² G_u and linear term Λ_Y μ_Y + α Σ_u c_u (g_u + c_u G_u y_j);
    /// after the draw every rater's s_u and g_u move by the change, so the next y sees it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void SampleImplicit(int sample)
    {
        var (k, d) = (_k, _d);
        var kk = k * k;
        var gram = _gram ??= new double[_t.UserCount * kk];
        var grad = _grad ??= new double[_t.UserCount * k];
        var data = _itemGram ??= new double[_t.ItemCount * kk];
        Array.Clear(gram);
        Array.Clear(grad);
        Array.Clear(data);
        var items = _t.ItemIndex;
        var values = _t.Values;
        Parallel.For(0, _t.UserCount, () => new double[k], (u, _, t) =>
        {
            var pu = _u.AsSpan(u * d, d);
            pu[..k].CopyTo(t);
            Add(t, _s.AsSpan(u * k, k));
            fixed (double* g = &gram[u * kk], h = &grad[u * k], v = _v)
            {
                for (var r = _userStarts[u]; r < _userStarts[u + 1]; r++)
                {
                    var vi = v + ((nint)items[r] * d);
                    var e = values[r] - _mu - pu[k] - vi[k] - Dot(new ReadOnlySpan<double>(vi, k), t);
                    for (var a = 0; a < k; a++)
                    {
                        h[a] += e * vi[a];
                    }

                    AddLowerOuter(g, k, vi, k);
                }

                Mirror(new Span<double>(g, kk), k);
            }

            return t;
        }, _ => { });

        Parallel.For(0, _t.ItemCount, j =>
        {
            fixed (double* pj = &data[j * kk], gAll = gram)
            {
                for (var r = _itemStarts[j]; r < _itemStarts[j + 1]; r++)
                {
                    var u = _itemUsers[r];
                    var w = _alpha * _c[u] * _c[u];
                    var g = gAll + ((nint)u * kk);
                    for (var n = 0; n < kk; n++)
                    {
                        pj[n] += w * g[n];
                    }
                }
            }
        });

        var scratch = new Scratch(k);
        var delta = new double[k];
        fixed (double* gAll = gram, hAll = grad, sAll = _s, yAll = _y, pAll = data, b = scratch.Linear, dl = delta)
        {
            for (var j = 0; j < _t.ItemCount; j++)
            {
                var pj = pAll + ((nint)j * kk);
                var yj = yAll + ((nint)j * k);
                for (var a = 0; a < k; a++)
                {
                    double sum = 0;
                    for (var c = 0; c < k; c++)
                    {
                        sum += pj[(a * k) + c] * yj[c];
                    }

                    b[a] = sum;
                }

                for (var r = _itemStarts[j]; r < _itemStarts[j + 1]; r++)
                {
                    var u = _itemUsers[r];
                    var w = _alpha * _c[u];
                    var h = hAll + ((nint)u * k);
                    for (var a = 0; a < k; a++)
                    {
                        b[a] += w * h[a];
                    }
                }

                // Gaussian.Draw scales by α what it is given: hand it the data terms already scaled.
                new ReadOnlySpan<double>(pj, kk).CopyTo(scratch.Precision);
                var yjSpan = new Span<double>(yj, k);
                yjSpan.CopyTo(delta);
                var random = new GaussianFill(Stream(_o.Seed, sample, 3, j));
                Gaussian.Draw(scratch.Precision, scratch.Linear, k, 1, _hy.Lambda, _hy.LambdaMu, ref random, scratch.Noise, yjSpan);
                for (var a = 0; a < k; a++)
                {
                    dl[a] = yj[a] - dl[a];
                }

                // s_u += c_u·Δ and g_u −= c_u·G_u·Δ (G_u symmetric: a sum of its rows scaled by Δ).
                for (var r = _itemStarts[j]; r < _itemStarts[j + 1]; r++)
                {
                    var u = _itemUsers[r];
                    var cu = _c[u];
                    var su = sAll + ((nint)u * k);
                    var h = hAll + ((nint)u * k);
                    var g = gAll + ((nint)u * kk);
                    for (var c = 0; c < k; c++)
                    {
                        var step = cu * dl[c];
                        su[c] += step;
                        var row = g + (c * k);
                        for (var a = 0; a < k; a++)
                        {
                            h[a] -= step * row[a];
                        }
                    }
                }
            }
        }

        // The sums were moved draw by draw; recompute them so rounding never accumulates across sweeps.
        RecomputeImplicitSums();
    }

    private void RecomputeImplicitSums()
    {
        if (!_o.Implicit)
        {
            return;
        }

        var k = _k;
        var items = _t.ItemIndex;
        Parallel.For(0, _t.UserCount, u =>
        {
            var su = _s.AsSpan(u * k, k);
            su.Clear();
            for (var r = _userStarts[u]; r < _userStarts[u + 1]; r++)
            {
                Add(su, _y.AsSpan(items[r] * k, k));
            }

            for (var a = 0; a < k; a++)
            {
                su[a] *= _c[u];
            }
        });
    }

    /// <summary>The current sample's prediction without clipping; a negative index drops that side's terms, as <see cref="FactorModel.Predict(int, int)"/> does.</summary>
    internal double Predict(int u, int i)
    {
        var (k, d) = (_k, _d);
        var estimate = _mu;
        if (u >= 0)
        {
            estimate += _u[(u * d) + k];
        }

        if (i >= 0)
        {
            estimate += _v[(i * d) + k];
        }

        if (u >= 0 && i >= 0)
        {
            var q = _v.AsSpan(i * d, k);
            estimate += Dot(q, _u.AsSpan(u * d, k));
            if (_o.Implicit)
            {
                estimate += Dot(q, _s.AsSpan(u * k, k));
            }
        }

        return estimate;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double UserSse(int u)
    {
        double sse = 0;
        for (var r = _userStarts[u]; r < _userStarts[u + 1]; r++)
        {
            var e = _t.Values[r] - Predict(u, _t.ItemIndex[r]);
            sse += e * e;
        }

        return sse;
    }

    /// <summary>During the burn-in the test RMSE of the sample itself, after it that of the running mean of the post-burn-in samples (clipped, as served); NaN without a probe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ProbeRmse(int sample)
    {
        if (_probeValue.Length == 0)
        {
            return double.NaN;
        }

        var averaged = sample > _o.BurnIn;
        var count = averaged ? sample - _o.BurnIn : 1;
        double sse = 0;
        for (var n = 0; n < _probeValue.Length; n++)
        {
            var prediction = Predict(_probeUser[n], _probeItem[n]);
            if (averaged)
            {
                _probeSum[n] += prediction;
                prediction = _probeSum[n] / count;
            }

            var e = _probeValue[n] - _t.Scale.Clip((float)prediction);
            sse += e * e;
        }

        return Math.Sqrt(sse / _probeValue.Length);
    }

    /// <summary>Writes sample number <paramref name="slot"/> into the served model's columns, rows scaled by 1/√K.</summary>
    private void Keep(int slot, double scale, int stride, float[] userFactors, float[] itemFactors, double[] userBias, double[] itemBias)
    {
        var (k, d) = (_k, _d);
        for (var u = 0; u < _t.UserCount; u++)
        {
            var row = userFactors.AsSpan((u * stride) + (slot * k), k);
            for (var a = 0; a < k; a++)
            {
                row[a] = (float)(scale * (_u[(u * d) + a] + (_o.Implicit ? _s[(u * k) + a] : 0)));
            }

            userBias[u] += _u[(u * d) + k];
        }

        for (var i = 0; i < _t.ItemCount; i++)
        {
            var row = itemFactors.AsSpan((i * stride) + (slot * k), k);
            for (var a = 0; a < k; a++)
            {
                row[a] = (float)(scale * _v[(i * d) + a]);
            }

            itemBias[i] += _v[(i * d) + k];
        }
    }

    /// <summary>Adds x̃ x̃ᵀ (lower triangle) and target·x̃ for the feature x̃ = [x, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddOuter(Span<double> precision, Span<double> linear, ReadOnlySpan<double> feature, double target, int d)
    {
        var k = d - 1;
        fixed (double* p = precision, b = linear, x = feature)
        {
            for (var a = 0; a < k; a++)
            {
                b[a] += target * x[a];
            }

            AddLowerOuter(p, d, x, k);
            b[k] += target;
            var last = p + (k * d);
            for (var c = 0; c < k; c++)
            {
                last[c] += x[c];
            }

            last[k] += 1;
        }
    }

    /// <summary>p[a, c] += x[a]·x[c] for c ≤ a &lt; n, the rows of p <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddLowerOuter(double* p, int stride, double* x, int n)
    {
        for (var a = 0; a < n; a++)
        {
            var xa = x[a];
            var row = p + (a * stride);
            for (var c = 0; c <= a; c++)
            {
                row[c] += xa * x[c];
            }
        }
    }

    private static void Mirror(Span<double> m, int n)
    {
        for (var a = 0; a < n; a++)
        {
            for (var c = 0; c < a; c++)
            {
                m[(c * n) + a] = m[(a * n) + c];
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    private static void Add(Span<double> x, ReadOnlySpan<double> y) => System.Numerics.Tensors.TensorPrimitives.Add(x, y, x);

    private double[] Draw(int count, ref GaussianFill random)
    {
        var values = new float[count];
        random.Fill(values, 0, (float)_o.InitStdDev);
        return Array.ConvertAll(values, v => (double)v);
    }

    /// <summary>A stream's seed from (seed, sample, block, row), mixed by SplitMix64's finaliser: distinct inputs, unrelated streams.</summary>
    internal static ulong Stream(int seed, int sample, int block, int row)
    {
        var h = Mix(((ulong)(uint)seed << 32) | (uint)sample);
        h = Mix(h ^ (((ulong)(uint)block << 32) | (uint)row));
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The ratings grouped by item: where each item's start, and their users and values.</summary>
    private static (int[] Starts, int[] Users, float[] Values) ByItem(Trainset t)
    {
        var starts = new int[t.ItemCount + 1];
        foreach (var i in t.ItemIndex)
        {
            starts[i + 1]++;
        }

        for (var i = 0; i < t.ItemCount; i++)
        {
            starts[i + 1] += starts[i];
        }

        var next = (int[])starts.Clone();
        var users = new int[t.Count];
        var values = new float[t.Count];
        for (var r = 0; r < t.Count; r++)
        {
            var slot = next[t.ItemIndex[r]]++;
            users[slot] = t.UserIndex[r];
            values[slot] = t.Values[r];
        }

        return (starts, users, values);
    }

    /// <summary>Per-thread buffers of one row's conditional.</summary>
    private sealed class Scratch(int d)
    {
        public double[] Precision { get; } = new double[d * d];

        public double[] Linear { get; } = new double[d];

        public double[] Feature { get; } = new double[d];

        public float[] Noise { get; } = new float[d];
    }

    /// <summary>The mean μ and precision Λ of one block's rows, drawn from their Normal–Wishart posterior.</summary>
    private sealed class Hyper
    {
        public Hyper(int d)
        {
            Lambda = new double[d * d];
            LambdaMu = new double[d];
            for (var a = 0; a < d; a++)
            {
                Lambda[(a * d) + a] = 1;
            }
        }

        public double[] Lambda { get; }

        public double[] LambdaMu { get; }

        public void Sample(double[] rows, int n, int d, Random random)
        {
            var mean = new double[d];
            for (var r = 0; r < n; r++)
            {
                for (var a = 0; a < d; a++)
                {
                    mean[a] += rows[(r * d) + a];
                }
            }

            for (var a = 0; a < d; a++)
            {
                mean[a] /= Math.Max(1, n);
            }

            // W⁻¹ = W₀⁻¹ + N·S̄ + β₀N/(β₀+N)·x̄x̄ᵀ with W₀ = I and μ₀ = 0.
            var scatter = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseIdentity(d);
            var shrink = Beta0 * n / (Beta0 + n);
            for (var a = 0; a < d; a++)
            {
                for (var c = 0; c <= a; c++)
                {
                    double sum = 0;
                    for (var r = 0; r < n; r++)
                    {
                        sum += (rows[(r * d) + a] - mean[a]) * (rows[(r * d) + c] - mean[c]);
                    }

                    var value = scatter[a, c] + sum + (shrink * mean[a] * mean[c]);
                    scatter[a, c] = value;
                    scatter[c, a] = value;
                }
            }

            var w = scatter.Inverse();
            w = (w + w.Transpose()) * 0.5;
            var lambda = MathNet.Numerics.Distributions.Wishart.Sample(random, d + n, w);

            // μ ~ N(μ*, (β*Λ)⁻¹) with μ* = N·x̄/(β₀+N), β* = β₀ + N.
            var betaStar = Beta0 + n;
            var precision = new double[d * d];
            var linear = new double[d];
            for (var a = 0; a < d; a++)
            {
                for (var c = 0; c < d; c++)
                {
                    precision[(a * d) + c] = betaStar * lambda[a, c];
                }
            }

            Gaussian.Cholesky(precision, d);
            for (var a = 0; a < d; a++)
            {
                linear[a] = MathNet.Numerics.Distributions.Normal.Sample(random, 0, 1);
            }

            Gaussian.SolveUpper(precision, d, linear);
            for (var a = 0; a < d; a++)
            {
                linear[a] += n * mean[a] / betaStar;
            }

            for (var a = 0; a < d; a++)
            {
                double lm = 0;
                for (var c = 0; c < d; c++)
                {
                    Lambda[(a * d) + c] = lambda[a, c];
                    lm += lambda[a, c] * linear[c];
                }

                LambdaMu[a] = lm;
            }
        }
    }
}
