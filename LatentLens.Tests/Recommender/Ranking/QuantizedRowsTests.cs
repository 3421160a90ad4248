using System.Runtime.Intrinsics.X86;
using LatentLens.Api.Recommender.Data;
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
        var kernel = Enum.Parse<QuantizedRows.Kernel>(name);
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

    [Fact]
    public void LeavesVectorsItCannotBoundToTheExactScan()
    {
        var model = RandomModel(50, 8, new Random(3), nearTies: false);
        var rows = QuantizedRows.For(model);
        var nan = new float[model.Stride];
        nan[2] = float.NaN;
        Assert.Null(rows.Top(nan, model.RankingOffsets, 5, [], []));
        Assert.Null(rows.Top(new float[model.Stride], model.RankingOffsets, 5, [], []));
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
