using System.Runtime.Intrinsics.X86;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;
using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Tests.Recommender.Ranking;

/// <summary>
/// <see cref="QuantizedRows"/> must give the exact scan's list bit for bit: the same items, the same float scores, ties by
/// lower index, with exclusions, filters and offsets; near-ties (rows one rounding apart) are where a loose bound would
/// show. Each integer kernel must give the portable kernel's integers. The CI variants without AVX2 run the portable one.
/// </summary>
public sealed class QuantizedRowsTests
{
    // Names, as the kernel enum is internal: Portable and Best everywhere, each hardware kernel where it runs.
    public static TheoryData<string> Kernels()
    {
        var kernels = new TheoryData<string> { "Portable", "Best" };
        if (Avx2.IsSupported)
        {
            kernels.Add("Avx2");
        }

        if (AvxVnni.IsSupported)
        {
            kernels.Add("Vnni");
        }

        return kernels;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public unsafe void EveryKernelGivesThePortableIntegers(string name)
    {
        var kernel = QuantizedRows.Resolve(Enum.Parse<QuantizedRows.Kernel>(name));
        var random = new Random(5);
        foreach (var width in new[] { 32, 64, 96, 128, 160 })
        {
            var rows = new sbyte[width * 50];
            var vector = new byte[width];
            for (var i = 0; i < rows.Length; i++)
            {
                // The extremes too: ±127 against 0 and 127 (the largest pair sums a 16-bit lane may hold).
                rows[i] = i % 7 == 0 ? (sbyte)(i % 2 == 0 ? 127 : -127) : (sbyte)random.Next(-127, 128);
            }

            for (var f = 0; f < width; f++)
            {
                vector[f] = f % 5 == 0 ? (byte)127 : (byte)random.Next(0, 128);
            }

            fixed (sbyte* r = rows)
            fixed (byte* v = vector)
            {
                for (var i = 0; i < 50; i++)
                {
                    var row = r + (i * width);
                    var expected = 0;
                    for (var f = 0; f < width; f++)
                    {
                        expected += row[f] * v[f];
                    }

                    var got = kernel switch
                    {
                        QuantizedRows.Kernel.Vnni => QuantizedRows.DotVnni(row, v, width),
                        QuantizedRows.Kernel.Avx2 => QuantizedRows.DotAvx2(row, v, width),
                        _ => QuantizedRows.DotPortable(row, v, width),
                    };
                    Assert.Equal(expected, got);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void GivesTheExactScansListBitForBit(string name)
    {
        var kernel = Enum.Parse<QuantizedRows.Kernel>(name);
        foreach (var (items, factors, seed) in new[] { (1, 8, 1), (9, 3, 2), (300, 20, 3), (1_500, 64, 4), (2_000, 128, 5), (777, 130, 6) })
        {
            var random = new Random(seed);
            var model = RandomModel(items, factors, random, nearTies: seed % 2 == 0);
            var rows = QuantizedRows.For(model);
            foreach (var k in new[] { 1, 10, 50, items + 3 })
            {
                for (var trial = 0; trial < 5; trial++)
                {
                    var vector = new float[model.Stride];
                    for (var f = 0; f < factors; f++)
                    {
                        vector[f] = (float)(random.NextDouble() - 0.5) * (trial == 4 ? 1e-3f : 2f);
                    }

                    var excluded = Enumerable.Range(0, Math.Min(items, 20)).Select(_ => random.Next(items)).ToArray();
                    var allowed = trial % 2 == 0 ? [] : Enumerable.Range(0, items).Select(_ => random.Next(4) != 0).ToArray();
                    var expected = Exact(model, vector, k, excluded, allowed);
                    var got = rows.Top(vector, model.RankingOffsets, k, excluded, allowed, kernel);
                    Assert.NotNull(got);
                    Assert.Equal(expected, got);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void FindsTheExactListInACrowdOfScoresCloserThanTheRounding(string name)
    {
        // Every item the same row plus noise of about one int8 step: the scores differ by less than the approximation's
        // error, so only a sound bound keeps every item of the exact top k among the candidates.
        var kernel = Enum.Parse<QuantizedRows.Kernel>(name);
        var random = new Random(11);
        const int items = 3_000, factors = 64;
        var stride = FactorLayout.StrideFor(factors);
        var common = Enumerable.Range(0, factors).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var itemFactors = new float[items * stride];
        for (var i = 0; i < items; i++)
        {
            for (var f = 0; f < factors; f++)
            {
                itemFactors[(i * stride) + f] = common[f] + ((float)(random.NextDouble() - 0.5) * 0.004f);
            }
        }

        var model = new FactorModel(
            "test", new IdMap(["u"]), new IdMap(Enumerable.Range(0, items).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            new RatingScale(1, 5), 3, [0f], new float[items], factors, stride, new float[stride], itemFactors);
        var rows = QuantizedRows.For(model);
        for (var trial = 0; trial < 20; trial++)
        {
            var vector = new float[stride];
            for (var f = 0; f < factors; f++)
            {
                vector[f] = (float)(random.NextDouble() - 0.5);
            }

            Assert.Equal(Exact(model, vector, 10, [], []), rows.Top(vector, model.RankingOffsets, 10, [], [], kernel));
        }
    }

    [Fact]
    public void TrainedAndFoldedUsersOfAServedModelGetTheExactScansLists()
    {
        // The two callers (Ranker.Recommend for trained users, FoldIns.Recommend for folded ones) on a model the int8
        // copy serves where the hardware allows (1,200 items, 16 factors): their lists against the exact path's.
        var random = new Random(21);
        var ratings = new List<RawRating>();
        for (var u = 0; u < 60; u++)
        {
            foreach (var i in Enumerable.Range(0, 1_200).Where(_ => random.Next(20) == 0))
            {
                ratings.Add(new RawRating($"u{u}", $"{i}", random.Next(1, 6), 0));
            }
        }

        var trainset = Trainset.Build(ratings, new RatingScale(1, 5));
        var saved = SavedModel.From(new PureSvd(new PureSvdOptions { Factors = 16 }).Fit(trainset), trainset, new Dictionary<string, string>(), new Dictionary<string, string>());
        var model = saved.Model;
        Assert.True(model.Items.Count >= 1_024);
        Assert.Equal(QuantizedRows.IsAccelerated, QuantizedRows.Serves(model));
        for (var u = 0; u < model.Users.Count; u++)
        {
            var vector = model.UserFactors.AsSpan(u * model.Stride, model.Stride).ToArray();
            Assert.Equal(Scoring.TopK(model, vector, model.RankingOffsets, saved.RatedBy(u), 10), Ranker.Recommend(saved, u, 10, excludeRated: true));
        }

        var foldIn = FoldIns.For(saved)!;
        var allowed = Enumerable.Range(0, model.Items.Count).Select(i => i % 3 != 0).ToArray();
        var history = Enumerable.Range(0, 30).Select(h => new HistoryEntry(h * 37, 4f)).ToArray();
        var user = foldIn.Fold(history);
        var scores = new float[model.Items.Count];
        foldIn.Score(user, scores);
        var excluded = history.Select(h => h.Item).ToArray();
        Scoring.LeaveOut(scores, excluded, allowed);
        Assert.Equal(Scoring.SelectTop(scores, 10), FoldIns.Recommend(foldIn, user, 10, excluded, allowed));
    }

    [Fact]
    public void IdenticalRowsTieByLowerIndexAsTheExactScanDoes()
    {
        // 2,000 items, every tenth a copy of item 0 (the best): the top 10 is the copies, in index order.
        var random = new Random(9);
        var model = RandomModel(2_000, 16, random, nearTies: false);
        var stride = model.Stride;
        var vector = new float[stride];
        for (var f = 0; f < 16; f++)
        {
            vector[f] = model.ItemFactors[f] = 1f;
        }

        for (var i = 10; i < 2_000; i += 10)
        {
            model.ItemFactors.AsSpan(0, stride).CopyTo(model.ItemFactors.AsSpan(i * stride, stride));
            model.ItemBias[i] = model.ItemBias[0] = 0.5f;
        }

        var got = QuantizedRows.For(model).Top(vector, model.RankingOffsets, 10, [], []);
        Assert.Equal(Exact(model, vector, 10, [], []), got);
        Assert.Equal([0, 10, 20, 30, 40, 50, 60, 70, 80, 90], got!.Select(s => s.Item));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryExactScoreLiesWithinItsBounds(string name)
    {
        // Rows and vectors that quantize (almost) exactly, so the Cauchy–Schwarz terms are tiny and what the bound must
        // still cover is the float rounding of the exact sum and of the approximation: a bound without it fails here.
        var kernel = Enum.Parse<QuantizedRows.Kernel>(name);
        var random = new Random(7);
        foreach (var (factors, offset) in new[] { (64, 0f), (256, 3f), (512, 1024f), (100, 65536f), (33, 1e6f) })
        {
            const int items = 1_200;
            var stride = FactorLayout.StrideFor(factors);
            var scale = 1f + (random.Next(1 << 16) / 65536f);
            var itemFactors = new float[items * stride];
            for (var i = 0; i < items; i++)
            {
                for (var f = 0; f < factors; f++)
                {
                    itemFactors[(i * stride) + f] = scale * (f == 0 ? 127 : random.Next(-127, 128)) * (i % 2 == 0 ? 1f : 1f + 1e-6f);
                }
            }

            var model = new FactorModel(
                "test", new IdMap(["u"]), new IdMap(Enumerable.Range(0, items).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                new RatingScale(1, 5), 3, [0f], Enumerable.Repeat(offset, items).ToArray(), factors, stride, new float[stride], itemFactors);
            var rows = QuantizedRows.For(model);
            var exact = new float[items];
            for (var trial = 0; trial < 10; trial++)
            {
                var step = MathF.ScaleB(1f + (random.Next(1 << 16) / 65536f), -10);
                var vector = new float[stride];
                for (var f = 0; f < factors; f++)
                {
                    vector[f] = step * (f == 1 ? 63 : random.Next(-63, 64));
                }

                Scoring.ScoreAll(model, vector, model.RankingOffsets, exact);
                var checkedItems = 0;
                rows.Top(vector, model.RankingOffsets, 10, [], [], kernel, (low, high) =>
                {
                    for (var i = 0; i < items; i++)
                    {
                        Assert.True(low[i] <= exact[i] && exact[i] <= high[i], $"item {i}: {low[i]} <= {exact[i]} <= {high[i]}");
                        checkedItems++;
                    }
                });
                Assert.Equal(items, checkedItems);
            }
        }
    }

    [Theory]
    [InlineData("overflow")]
    [InlineData("scale-times-step-overflows")]
    [InlineData("underflow")]
    [InlineData("huge-offsets")]
    public void ExtremeMagnitudesGiveTheExactListOrLeaveItToTheExactScan(string name)
    {
        // The review's cases: an exact score that overflows while its bound does not, ∞ · 0 in the approximation,
        // subnormal scores; each must come back as the exact scan's list (or null: the caller then scans exactly).
        var (rows, bias, vector) = name switch
        {
            "overflow" => (new[] { new[] { 2e38f, -2e38f }, new[] { -1e33f, 0f } }, new[] { 0f, 0f }, new[] { 2f, 2f }),
            "scale-times-step-overflows" => (new[] { new[] { 1e36f, 0f }, new[] { 0f, 0f } }, new[] { 1f, 0f }, new[] { 0f, 1e13f }),
            "underflow" => (new[] { new[] { 127 * MathF.ScaleB(1, -80), 0f }, new[] { 0f, 127 * MathF.ScaleB(1, -78) } }, new[] { 0f, 0f }, new[] { 63 * MathF.ScaleB(1, -71), MathF.ScaleB(1, -71) }),
            _ => (new[] { new[] { 1f, 0f }, new[] { 0f, 1f } }, new[] { 3e38f, -3e38f }, new[] { 1f, 1f }),
        };
        var stride = FactorLayout.StrideFor(8);
        var itemFactors = new float[rows.Length * stride];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i].CopyTo(itemFactors.AsSpan(i * stride));
        }

        var model = new FactorModel("test", new IdMap(["u"]), new IdMap(["0", "1"]), new RatingScale(1, 5), 3, [0f], bias, 8, stride, new float[stride], itemFactors);
        var v = new float[stride];
        vector.CopyTo(v, 0);
        foreach (var kernel in new[] { QuantizedRows.Kernel.Portable, QuantizedRows.Kernel.Best })
        {
            foreach (var k in new[] { 1, 2 })
            {
                var got = QuantizedRows.For(model).Top(v, model.RankingOffsets, k, [], [], kernel);
                if (got is not null)
                {
                    Assert.Equal(Exact(model, v, k, [], []), got);
                }
            }
        }
    }

    [Fact]
    public void KthLargestIsSelectTopsLastOrMinusInfinity()
    {
        float[] scores = [3f, float.NaN, 5f, float.NegativeInfinity, 1f, 5f];
        Assert.Equal(5f, Scoring.KthLargest(scores, 1));
        Assert.Equal(5f, Scoring.KthLargest(scores, 2));
        Assert.Equal(3f, Scoring.KthLargest(scores, 3));
        Assert.Equal(1f, Scoring.KthLargest(scores, 4));
        Assert.Equal(float.NegativeInfinity, Scoring.KthLargest(scores, 5));
        Assert.Equal(float.NegativeInfinity, Scoring.KthLargest(scores, 7));
        Assert.Equal(float.NegativeInfinity, Scoring.KthLargest(scores, 0));
        Assert.Empty(Scoring.SelectTop(scores, 0));
        Assert.Empty(Scoring.SelectTop(scores, -1));
    }

    [Fact]
    public void LeavesVectorsItCannotBoundToTheExactScan()
    {
        var model = RandomModel(50, 8, new Random(3), nearTies: false);
        var rows = QuantizedRows.For(model);
        var nan = new float[model.Stride];
        nan[2] = float.NaN;
        Assert.Null(rows.Top(nan, model.RankingOffsets, 5, [], []));
        Assert.Null(rows.Top(new float[model.Stride], model.RankingOffsets, 5, [], []));
        if (model.Stride > 8)
        {
            // Padding the exact scan would read and the int8 copy does not have.
            var padded = new float[model.Stride];
            padded[0] = 1;
            padded[^1] = 1;
            Assert.Null(rows.Top(padded, model.RankingOffsets, 5, [], []));
        }
    }

    private static ScoredItem[] Exact(FactorModel model, float[] vector, int k, int[] excluded, bool[] allowed)
    {
        var scores = new float[model.Items.Count];
        Scoring.ScoreAll(model, vector, model.RankingOffsets, scores);
        foreach (var item in excluded)
        {
            scores[item] = float.NegativeInfinity;
        }

        for (var i = 0; i < allowed.Length; i++)
        {
            if (!allowed[i])
            {
                scores[i] = float.NegativeInfinity;
            }
        }

        return Scoring.SelectTop(scores, k);
    }

    /// <summary>Random factors and biases; with near ties, pairs of items one float rounding apart in a factor.</summary>
    private static FactorModel RandomModel(int items, int factors, Random random, bool nearTies)
    {
        var stride = FactorLayout.StrideFor(factors);
        var itemFactors = new float[items * stride];
        var bias = new float[items];
        for (var i = 0; i < items; i++)
        {
            for (var f = 0; f < factors; f++)
            {
                itemFactors[(i * stride) + f] = (float)(random.NextDouble() - 0.5) * (i % 3 == 0 ? 0.1f : 1f);
            }

            bias[i] = (float)(random.NextDouble() - 0.5) * 0.2f;
            if (nearTies && i % 2 == 1)
            {
                itemFactors.AsSpan((i - 1) * stride, stride).CopyTo(itemFactors.AsSpan(i * stride, stride));
                itemFactors[(i * stride) + (i % factors)] = MathF.BitIncrement(itemFactors[(i * stride) + (i % factors)]);
                bias[i] = bias[i - 1];
            }
        }

        return new FactorModel(
            "test", new IdMap(["u"]), new IdMap(Enumerable.Range(0, items).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            new RatingScale(1, 5), 3, [0f], bias, factors, stride, new float[stride], itemFactors);
    }
}
