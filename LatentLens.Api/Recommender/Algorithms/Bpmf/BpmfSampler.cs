using System.Diagnostics;
using System.Runtime.CompilerServices;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>The state of one Gibbs chain of <see cref="Bpmf"/>.</summary>
internal sealed partial class BpmfSampler
{
    private readonly BpmfOptions _options;
    private readonly Trainset _trainset;
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
    private readonly double[] _userRows;
    private readonly double[] _itemRows;
    private readonly double[] _y;
    private readonly double[] _z;
    private readonly double[] _userSums;
    private readonly double[] _itemSums;
    private readonly double[] _userEffective;
    private readonly double[] _itemEffective;
    private readonly double[] _userNorms;
    private readonly double[] _itemNorms;
    private readonly NormalWishartHyper _userHyper;
    private readonly NormalWishartHyper _itemHyper;
    private double _alpha;

    // The user block (y_j, owners users) and the item block (z_v, owners items).
    private readonly BpmfImplicitBlock? _userBlock;
    private readonly BpmfImplicitBlock? _itemBlock;

    private readonly int[] _probeUser;
    private readonly int[] _probeItem;
    private readonly float[] _probeValue;
    private readonly double[] _probeSum;

    public BpmfSampler(BpmfOptions options, Trainset trainset, IReadOnlyList<RawRating> probe)
    {
        _options = options;
        _trainset = trainset;
        _k = options.Factors;
        _d = _k + 1;
        _mu = trainset.GlobalMean;
        _userStarts = SvdPlusPlus.UserStarts(trainset);
        (_itemStarts, _itemUsers, _itemValues) = ByItem(trainset);
        var random = new GaussianFill(Stream(options.Seed, 0, 0, 0));
        _userRows = Draw(trainset.UserCount * _d, ref random);
        _itemRows = Draw(trainset.ItemCount * _d, ref random);
        _y = options.Implicit ? Draw(trainset.ItemCount * _k, ref random) : [];
        _z = options.ItemImplicitOn ? Draw(trainset.UserCount * _k, ref random) : [];
        _userSums = new double[trainset.UserCount * _k];
        _itemSums = new double[trainset.ItemCount * _k];
        _userEffective = new double[trainset.UserCount * _d];
        _itemEffective = new double[trainset.ItemCount * _d];
        _userNorms = Norms(_userStarts);
        _itemNorms = Norms(_itemStarts);
        _userHyper = new NormalWishartHyper(_d);
        _itemHyper = new NormalWishartHyper(_d);
        _alpha = options.Precision;
        if (options.Implicit)
        {
            _userBlock = new BpmfImplicitBlock(3, _userStarts, trainset.ItemIndex, trainset.Values, _itemStarts, _itemUsers, _userRows, _userSums, _y, _userNorms, new NormalWishartHyper(_k));
            RecomputeImplicitSums(_userBlock);
        }

        if (options.ItemImplicitOn)
        {
            _itemBlock = new BpmfImplicitBlock(4, _itemStarts, _itemUsers, _itemValues, _userStarts, trainset.ItemIndex, _itemRows, _itemSums, _z, _itemNorms, new NormalWishartHyper(_k));
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
        var kept = _options.KeptSamples;
        var width = _k * kept;
        var stride = FactorLayout.StrideFor(width);
        var userFactors = new float[_trainset.UserCount * stride];
        var itemFactors = new float[_trainset.ItemCount * stride];
        var userBias = new double[_trainset.UserCount];
        var itemBias = new double[_trainset.ItemCount];
        var scale = 1 / Math.Sqrt(kept);
        var keptSoFar = 0;
        var clock = Stopwatch.StartNew();
        for (var sample = 1; sample <= _options.Samples; sample++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sse = Sweep(sample);
            var testRmse = ProbeRmse(sample);
            if (_options.Keeps(sample))
            {
                Keep(keptSoFar++, scale, stride, userFactors, itemFactors, userBias, itemBias);
            }

            onEpoch?.Invoke(new EpochReport(sample, Math.Sqrt(sse / Math.Max(1, _trainset.Count)), clock.Elapsed) { TestRmse = testRmse });
        }

        Debug.Assert(keptSoFar == kept, "every kept sample was written");
        return new FactorModel(name, _trainset.Users, _trainset.Items, _trainset.Scale, _mu,
            Array.ConvertAll(userBias, b => (float)(b / kept)), Array.ConvertAll(itemBias, b => (float)(b / kept)),
            width, stride, userFactors, itemFactors);
    }

    /// <summary>
    /// Draws every row in parallel, one scratch per worker. A draw that diverges throws out of Parallel.For wrapped
    /// in an AggregateException: it is unwrapped here, so the caller sees the ModelDivergedException every other
    /// draw throws (and the run is recorded as failed, with its message, instead of crashing the command).
    /// </summary>
    private void ForEachRow(int count, Action<int, Scratch> draw)
    {
        try
        {
            Parallel.For(0, count, () => new Scratch(_d), (row, _, scratch) =>
            {
                draw(row, scratch);
                return scratch;
            }, _ => { });
        }
        catch (AggregateException ex) when (ex.InnerExceptions.OfType<ModelDivergedException>().FirstOrDefault() is { } diverged)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(diverged);
        }
    }

    /// <summary>One Gibbs sweep; returns the sum of squared training errors of the new sample.</summary>
    internal double Sweep(int sample)
    {
        var random = new Random(unchecked((int)Stream(_options.Seed, sample, 0, 0)));
        _userHyper.Sample(_userRows, _trainset.UserCount, _d, random);
        Effective(_itemRows, _itemSums, _itemEffective, _trainset.ItemCount);
        ForEachRow(_trainset.UserCount, (u, scratch) => SampleUser(u, sample, scratch));

        _itemHyper.Sample(_itemRows, _trainset.ItemCount, _d, random);
        Effective(_userRows, _userSums, _userEffective, _trainset.UserCount);
        ForEachRow(_trainset.ItemCount, (i, scratch) => SampleItem(i, sample, scratch));

        if (_userBlock is { } userBlock)
        {
            userBlock.Hyper.Sample(_y, _trainset.ItemCount, _k, random);
            Effective(_itemRows, _itemSums, _itemEffective, _trainset.ItemCount);
            SampleImplicit(userBlock, _itemEffective, sample);
        }

        if (_itemBlock is { } itemBlock)
        {
            itemBlock.Hyper.Sample(_z, _trainset.UserCount, _k, random);
            Effective(_userRows, _userSums, _userEffective, _trainset.UserCount);
            SampleImplicit(itemBlock, _userEffective, sample);
        }

        var userSse = new double[_trainset.UserCount];
        Parallel.For(0, _trainset.UserCount, u => userSse[u] = UserSse(u));
        var sse = 0.0;
        foreach (var e in userSse)
        {
            sse += e;
        }

        if (_options.SamplePrecision)
        {
            // Gamma(1, 1) prior: the posterior is Gamma(1 + N/2, 1 + SSE/2).
            _alpha = MathNet.Numerics.Distributions.Gamma.Sample(random, 1 + (_trainset.Count / 2.0), 1 + (sse / 2));
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
        ReadOnlySpan<double> su = _userSums.AsSpan(u * k, k);
        var items = _trainset.ItemIndex;
        var values = _trainset.Values;
        for (var r = _userStarts[u]; r < _userStarts[u + 1]; r++)
        {
            var vi = _itemEffective.AsSpan(items[r] * d, d);
            var target = values[r] - _mu - vi[k] - (_options.Implicit ? Dot(vi[..k], su) : 0);
            AddOuter(p, b, vi[..k], target, d);
        }

        var random = new GaussianFill(Stream(_options.Seed, sample, 1, u));
        if (!Gaussian.TryDraw(p, b, d, _alpha, _userHyper.Lambda, _userHyper.LambdaMu, ref random, scratch.Noise, _userRows.AsSpan(u * d, d)))
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
        ReadOnlySpan<double> ti = _itemSums.AsSpan(i * k, k);
        var itemImplicit = _options.ItemImplicitOn;
        for (var r = _itemStarts[i]; r < _itemStarts[i + 1]; r++)
        {
            var pu = _userEffective.AsSpan(_itemUsers[r] * d, d);
            var target = _itemValues[r] - _mu - pu[k] - (itemImplicit ? Dot(pu[..k], ti) : 0);
            AddOuter(p, b, pu[..k], target, d);
        }

        var random = new GaussianFill(Stream(_options.Seed, sample, 2, i));
        if (!Gaussian.TryDraw(p, b, d, _alpha, _itemHyper.Lambda, _itemHyper.LambdaMu, ref random, scratch.Noise, _itemRows.AsSpan(i * d, d)))
        {
            throw NotPositiveDefinite();
        }
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

    /// <summary>The current sample's prediction without clipping; a negative index drops that side's terms, as <see cref="FactorModel.Predict(int, int)"/> does.</summary>
    internal double Predict(int u, int i)
    {
        var (k, d) = (_k, _d);
        var estimate = _mu;
        if (u >= 0)
        {
            estimate += _userRows[(u * d) + k];
        }

        if (i >= 0)
        {
            estimate += _itemRows[(i * d) + k];
        }

        if (u >= 0 && i >= 0)
        {
            var q = _itemRows.AsSpan(i * d, k);
            var p = _userRows.AsSpan(u * d, k);
            estimate += Dot(q, p);
            if (_options.Implicit)
            {
                estimate += Dot(q, _userSums.AsSpan(u * k, k));
            }

            if (_options.ItemImplicitOn)
            {
                var ti = _itemSums.AsSpan(i * k, k);
                estimate += Dot(ti, p) + Dot(ti, _userSums.AsSpan(u * k, k));
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
            var e = _trainset.Values[r] - Predict(u, _trainset.ItemIndex[r]);
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

        var averaged = sample > _options.BurnIn;
        var count = averaged ? sample - _options.BurnIn : 1;
        double sse = 0;
        for (var n = 0; n < _probeValue.Length; n++)
        {
            var prediction = Predict(_probeUser[n], _probeItem[n]);
            if (averaged)
            {
                _probeSum[n] += prediction;
                prediction = _probeSum[n] / count;
            }

            var e = _probeValue[n] - _trainset.Scale.Clip((float)prediction);
            sse += e * e;
        }

        return Math.Sqrt(sse / _probeValue.Length);
    }

    /// <summary>Writes sample number <paramref name="slot"/> into the served model's columns, rows scaled by 1/√K.</summary>
    private void Keep(int slot, double scale, int stride, float[] userFactors, float[] itemFactors, double[] userBias, double[] itemBias)
    {
        var (k, d) = (_k, _d);
        for (var u = 0; u < _trainset.UserCount; u++)
        {
            var row = userFactors.AsSpan((u * stride) + (slot * k), k);
            for (var a = 0; a < k; a++)
            {
                row[a] = (float)(scale * (_userRows[(u * d) + a] + (_options.Implicit ? _userSums[(u * k) + a] : 0)));
            }

            userBias[u] += _userRows[(u * d) + k];
        }

        for (var i = 0; i < _trainset.ItemCount; i++)
        {
            var row = itemFactors.AsSpan((i * stride) + (slot * k), k);
            for (var a = 0; a < k; a++)
            {
                row[a] = (float)(scale * (_itemRows[(i * d) + a] + _itemSums[(i * k) + a]));
            }

            itemBias[i] += _itemRows[(i * d) + k];
        }
    }

    private double[] Draw(int count, ref GaussianFill random)
    {
        var values = new float[count];
        random.Fill(values, 0, (float)_options.InitStdDev);
        return Array.ConvertAll(values, v => (double)v);
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

}
