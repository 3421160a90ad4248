using System.Diagnostics;
using System.Runtime.CompilerServices;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

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

    // [p_u, b_u] and [q_i, b_i] rows of k + 1; y_j, z_v and the implicit sums s_u, t_i rows of k
    // (the sums stay zero when their block is off). The effective rows [p_u + s_u, b_u] and
    // [q_i + t_i, b_i] are refreshed before each step that reads them.
    private readonly double[] _u;
    private readonly double[] _v;
    private readonly double[] _y;
    private readonly double[] _z;
    private readonly double[] _s;
    private readonly double[] _t2;
    private readonly double[] _ue;
    private readonly double[] _ve;
    private readonly double[] _c;
    private readonly double[] _ci;
    private readonly Hyper _hu;
    private readonly Hyper _hv;
    private double _alpha;

    // The user block (y_j, owners users) and the item block (z_v, owners items).
    private readonly ImplicitBlock? _userBlock;
    private readonly ImplicitBlock? _itemBlock;

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
        _z = options.ItemImplicitOn ? Draw(trainset.UserCount * _k, ref random) : [];
        _s = new double[trainset.UserCount * _k];
        _t2 = new double[trainset.ItemCount * _k];
        _ue = new double[trainset.UserCount * _d];
        _ve = new double[trainset.ItemCount * _d];
        _c = Norms(_userStarts);
        _ci = Norms(_itemStarts);
        _hu = new Hyper(_d);
        _hv = new Hyper(_d);
        _alpha = options.Precision;
        if (options.Implicit)
        {
            _userBlock = new ImplicitBlock(3, _userStarts, trainset.ItemIndex, trainset.Values, _itemStarts, _itemUsers, _u, _s, _y, _c, new Hyper(_k));
            RecomputeImplicitSums(_userBlock);
        }

        if (options.ItemImplicitOn)
        {
            _itemBlock = new ImplicitBlock(4, _itemStarts, _itemUsers, _itemValues, _userStarts, trainset.ItemIndex, _v, _t2, _z, _ci, new Hyper(_k));
            RecomputeImplicitSums(_itemBlock);
        }

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
        Effective(_v, _t2, _ve, _t.ItemCount);
        Parallel.For(0, _t.UserCount, () => new Scratch(_d), (u, _, scratch) =>
        {
            SampleUser(u, sample, scratch);
            return scratch;
        }, _ => { });

        _hv.Sample(_v, _t.ItemCount, _d, random);
        Effective(_u, _s, _ue, _t.UserCount);
        Parallel.For(0, _t.ItemCount, () => new Scratch(_d), (i, _, scratch) =>
        {
            SampleItem(i, sample, scratch);
            return scratch;
        }, _ => { });

        if (_userBlock is { } userBlock)
        {
            userBlock.Hyper.Sample(_y, _t.ItemCount, _k, random);
            Effective(_v, _t2, _ve, _t.ItemCount);
            SampleImplicit(userBlock, _ve, sample);
        }

        if (_itemBlock is { } itemBlock)
        {
            itemBlock.Hyper.Sample(_z, _t.UserCount, _k, random);
            Effective(_u, _s, _ue, _t.UserCount);
            SampleImplicit(itemBlock, _ue, sample);
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
        ReadOnlySpan<double> su = _s.AsSpan(u * k, k);
        var items = _t.ItemIndex;
        var values = _t.Values;
        for (var r = _userStarts[u]; r < _userStarts[u + 1]; r++)
        {
            var vi = _ve.AsSpan(items[r] * d, d);
            var target = values[r] - _mu - vi[k] - (_o.Implicit ? Dot(vi[..k], su) : 0);
            AddOuter(p, b, vi[..k], target, d);
        }

        var random = new GaussianFill(Stream(_o.Seed, sample, 1, u));
        if (!Gaussian.TryDraw(p, b, d, _alpha, _hu.Lambda, _hu.LambdaMu, ref random, scratch.Noise, _u.AsSpan(u * d, d)))
        {
            throw NotPositiveDefinite();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SampleItem(int i, int sample, Scratch scratch)
    {
        var (k, d) = (_k, _d);
        var (p, b) = (scratch.Precision, scratch.Linear);
        Array.Clear(p);
        Array.Clear(b);
        ReadOnlySpan<double> ti = _t2.AsSpan(i * k, k);
        var itemImplicit = _o.ItemImplicitOn;
        for (var r = _itemStarts[i]; r < _itemStarts[i + 1]; r++)
        {
            var pu = _ue.AsSpan(_itemUsers[r] * d, d);
            var target = _itemValues[r] - _mu - pu[k] - (itemImplicit ? Dot(pu[..k], ti) : 0);
            AddOuter(p, b, pu[..k], target, d);
        }

        var random = new GaussianFill(Stream(_o.Seed, sample, 2, i));
        if (!Gaussian.TryDraw(p, b, d, _alpha, _hv.Lambda, _hv.LambdaMu, ref random, scratch.Noise, _v.AsSpan(i * d, d)))
        {
            throw NotPositiveDefinite();
        }
    }

    /// <summary>
    /// One implicit block's vectors in turn: the y_j of the users' block (owners the users, members the
    /// items they rated, partners the items) or, symmetrically, the z_v of the items' block (owners the
    /// items, members their raters, partners the users). With G_o = Σ_{p∈R(o)} x_p x_pᵀ (x_p the partner's
    /// effective vector) and g_o = Σ_p x_p e_op (e the full residual), a member's conditional has precision
    /// Λ + α Σ_{o∋j} c_o² G_o and linear term Λμ + α Σ_o c_o (g_o + c_o G_o y_j); after the draw every
    /// owner's implicit sum and g_o move by the change, so the next member sees it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void SampleImplicit(ImplicitBlock block, double[] partners, int sample)
    {
        var (k, d) = (_k, _d);
        var kk = k * k;
        var ownerCount = block.OwnerStarts.Length - 1;
        var memberCount = block.MemberStarts.Length - 1;
        var gram = block.Gram ??= new double[ownerCount * kk];
        var grad = block.Grad ??= new double[ownerCount * k];
        var data = block.MemberGram ??= new double[memberCount * kk];
        Array.Clear(gram);
        Array.Clear(grad);
        Array.Clear(data);
        var (ownerStarts, partnerIndex, values) = (block.OwnerStarts, block.Partners, block.Values);
        var (memberStarts, memberOwners) = (block.MemberStarts, block.MemberOwners);
        var (own, sums, members, norms) = (block.Own, block.Sums, block.Members, block.Norms);
        Parallel.For(0, ownerCount, () => new double[k], (o, _, t) =>
        {
            var po = own.AsSpan(o * d, d);
            po[..k].CopyTo(t);
            Add(t, sums.AsSpan(o * k, k));
            fixed (double* g = &gram[o * kk], h = &grad[o * k], v = partners)
            {
                for (var r = ownerStarts[o]; r < ownerStarts[o + 1]; r++)
                {
                    var vi = v + ((nint)partnerIndex[r] * d);
                    var e = values[r] - _mu - po[k] - vi[k] - Dot(new ReadOnlySpan<double>(vi, k), t);
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

        Parallel.For(0, memberCount, j =>
        {
            fixed (double* pj = &data[j * kk], gAll = gram)
            {
                for (var r = memberStarts[j]; r < memberStarts[j + 1]; r++)
                {
                    var o = memberOwners[r];
                    var w = _alpha * norms[o] * norms[o];
                    var g = gAll + ((nint)o * kk);
                    for (var n = 0; n < kk; n++)
                    {
                        pj[n] += w * g[n];
                    }
                }
            }
        });

        var scratch = new Scratch(k);
        var delta = new double[k];
        fixed (double* gAll = gram, hAll = grad, sAll = sums, yAll = members, pAll = data, b = scratch.Linear, dl = delta)
        {
            for (var j = 0; j < memberCount; j++)
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

                for (var r = memberStarts[j]; r < memberStarts[j + 1]; r++)
                {
                    var o = memberOwners[r];
                    var w = _alpha * norms[o];
                    var h = hAll + ((nint)o * k);
                    for (var a = 0; a < k; a++)
                    {
                        b[a] += w * h[a];
                    }
                }

                // Gaussian.TryDraw scales by α what it is given: hand it the data terms already scaled.
                new ReadOnlySpan<double>(pj, kk).CopyTo(scratch.Precision);
                var yjSpan = new Span<double>(yj, k);
                yjSpan.CopyTo(delta);
                var random = new GaussianFill(Stream(_o.Seed, sample, block.Id, j));
                if (!Gaussian.TryDraw(scratch.Precision, scratch.Linear, k, 1, block.Hyper.Lambda, block.Hyper.LambdaMu, ref random, scratch.Noise, yjSpan))
                {
                    throw NotPositiveDefinite();
                }

                for (var a = 0; a < k; a++)
                {
                    dl[a] = yj[a] - dl[a];
                }

                // sum_o += c_o·Δ and g_o −= c_o·G_o·Δ (G_o symmetric: a sum of its rows scaled by Δ).
                for (var r = memberStarts[j]; r < memberStarts[j + 1]; r++)
                {
                    var o = memberOwners[r];
                    var co = norms[o];
                    var so = sAll + ((nint)o * k);
                    var h = hAll + ((nint)o * k);
                    var g = gAll + ((nint)o * kk);
                    for (var c = 0; c < k; c++)
                    {
                        var step = co * dl[c];
                        so[c] += step;
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
        RecomputeImplicitSums(block);
    }

    private void RecomputeImplicitSums(ImplicitBlock block)
    {
        var k = _k;
        var (starts, partners, sums, members, norms) = (block.OwnerStarts, block.Partners, block.Sums, block.Members, block.Norms);
        Parallel.For(0, starts.Length - 1, o =>
        {
            var so = sums.AsSpan(o * k, k);
            so.Clear();
            for (var r = starts[o]; r < starts[o + 1]; r++)
            {
                Add(so, members.AsSpan(partners[r] * k, k));
            }

            for (var a = 0; a < k; a++)
            {
                so[a] *= norms[o];
            }
        });
    }

    /// <summary>effective[r] = [own[r][..k] + sums[r], own[r][k]]: the row with its implicit term folded in.</summary>
    private void Effective(double[] own, double[] sums, double[] effective, int rows)
    {
        var (k, d) = (_k, _d);
        Parallel.For(0, rows, r =>
        {
            var e = effective.AsSpan(r * d, d);
            own.AsSpan(r * d, d).CopyTo(e);
            Add(e[..k], sums.AsSpan(r * k, k));
        });
    }

    private static double[] Norms(int[] starts)
    {
        var norms = new double[starts.Length - 1];
        for (var r = 0; r < norms.Length; r++)
        {
            var n = starts[r + 1] - starts[r];
            norms[r] = n == 0 ? 0 : 1 / Math.Sqrt(n);
        }

        return norms;
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
            var p = _u.AsSpan(u * d, k);
            estimate += Dot(q, p);
            if (_o.Implicit)
            {
                estimate += Dot(q, _s.AsSpan(u * k, k));
            }

            if (_o.ItemImplicitOn)
            {
                var ti = _t2.AsSpan(i * k, k);
                estimate += Dot(ti, p) + Dot(ti, _s.AsSpan(u * k, k));
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
                row[a] = (float)(scale * (_v[(i * d) + a] + _t2[(i * k) + a]));
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

    private static ModelDivergedException NotPositiveDefinite() =>
        new("bpmf: a posterior precision matrix is not positive definite (the sampler diverged); check the ratings and --factors.");

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
        var byItem = RowIndex.Build(t.ItemIndex, t.ItemCount);
        return (byItem.Starts, byItem.Arrange<int>(t.UserIndex), byItem.Arrange<float>(t.Values));
    }

    /// <summary>Per-thread buffers of one row's conditional.</summary>
    private sealed class Scratch(int d)
    {
        public double[] Precision { get; } = new double[d * d];

        public double[] Linear { get; } = new double[d];

        public float[] Noise { get; } = new float[d];
    }

    /// <summary>
    /// One implicit block: its owners' ratings (starts, partners, values), its members' owners (starts,
    /// owners), the owners' own rows (k + 1 wide), implicit sums and norms c_o = |N(o)|^(-1/2), the
    /// members' vectors, their hyper-parameters, and the step's buffers kept across sweeps.
    /// </summary>
    private sealed class ImplicitBlock(int id, int[] ownerStarts, int[] partners, float[] values, int[] memberStarts, int[] memberOwners,
        double[] own, double[] sums, double[] members, double[] norms, Hyper hyper)
    {
        public int Id { get; } = id;

        public int[] OwnerStarts { get; } = ownerStarts;

        public int[] Partners { get; } = partners;

        public float[] Values { get; } = values;

        public int[] MemberStarts { get; } = memberStarts;

        public int[] MemberOwners { get; } = memberOwners;

        public double[] Own { get; } = own;

        public double[] Sums { get; } = sums;

        public double[] Members { get; } = members;

        public double[] Norms { get; } = norms;

        public Hyper Hyper { get; } = hyper;

        public double[]? Gram { get; set; }

        public double[]? Grad { get; set; }

        public double[]? MemberGram { get; set; }
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

            if (!Gaussian.TryCholesky(precision, d))
            {
                throw NotPositiveDefinite();
            }

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
