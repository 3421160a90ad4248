using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Numerics;
using Xunit.Abstractions;

namespace LatentLens.Tests.Recommender;

/// <summary>
/// The known-answer tests of <see cref="AlgorithmTests"/>, run on every FunkSvd epoch loop, forced,
/// whatever the machine: a path the hardware does not accelerate runs in .NET's software vectors
/// (same arithmetic, slower), so none is skipped and each test names whether it ran accelerated.
/// </summary>
public sealed class FunkSvdKernelPathTests(ITestOutputHelper output)
{
    private static readonly RatingScale WideScale = new(-100, 100);

    public static TheoryData<SgdPathName> Paths => [SgdPathName.Scalar, SgdPathName.V128, SgdPathName.V256, SgdPathName.V512];

    public static TheoryData<SgdPathName, int> PathsAndFactors()
    {
        var data = new TheoryData<SgdPathName, int>();
        foreach (var path in Enum.GetValues<SgdPathName>())
        {
            // 8: one or two vectors; 100: Surprise's default (AVX-512 register kernel, AVX2 row 10 + 3 in memory);
            // 150: beyond the AVX-512 register kernel, rows longer than any register budget.
            foreach (var factors in new[] { 8, 100, 150 })
            {
                data.Add(path, factors);
            }
        }

        return data;
    }

    private static (Trainset Train, List<RawRating> Test) Planted(double noise = 0.1)
    {
        var ratings = new SyntheticRatings { Users = 300, Items = 200, Ratings = 18_000, Rank = 3, Noise = noise, Scale = WideScale, Seed = 7 }.GenerateRaw();
        var split = Splits.KFold(ratings, 5, seed: 3)[0];
        return (Trainset.Build(split.Train, WideScale), split.Test.ToList());
    }

    private FunkSvdOptions On(SgdPathName path, FunkSvdOptions options)
    {
        var sgd = (SgdPath)path;
        output.WriteLine($"path {sgd}; auto picks {SgdPaths.Hardware}, the widest this machine accelerates");
        return options with { Path = sgd };
    }

    [Theory]
    [MemberData(nameof(PathsAndFactors))]
    public void EveryPathFollowsSurprisesUpdateRuleAndReportsTheRunningTrainRmse(SgdPathName path, int factors)
    {
        var (train, _) = Planted();
        AssertFollowsSurprisesRule(path, train, On(path, new FunkSvdOptions { Factors = factors, Epochs = 3, Seed = 5 }));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void EveryPathFollowsTheRuleForUsersWithMoreRatingsThanTheRowScaleSpans(SgdPathName path)
    {
        // γλ = 0.1: the vector kernels' user-row scale (1 − γλ)^n reaches FoldBelow after 131 ratings, so these
        // users (about 320 training ratings each) are taken in runs of 131, folded and reloaded between runs.
        var ratings = new SyntheticRatings { Users = 30, Items = 500, Ratings = 12_000, Rank = 3, Noise = 0.1, Scale = WideScale, Seed = 11 }.GenerateRaw();
        var split = Splits.KFold(ratings, 5, seed: 3)[0];
        var train = Trainset.Build(split.Train, WideScale);
        Assert.True(Enumerable.Range(0, train.UserCount).Min(u => train.UserIndex.Count(x => x == u)) > 2 * 131);

        // 100 factors: on x64 both vector widths keep part of the row in memory, so the fold between runs covers it.
        AssertFollowsSurprisesRule(path, train, On(path, new FunkSvdOptions { Factors = 100, Epochs = 3, Seed = 5, LearningRate = 0.01, Regularization = 10 }));
    }

    private static void AssertFollowsSurprisesRule(SgdPathName path, Trainset train, FunkSvdOptions options)
    {
        var factors = options.Factors;
        var reported = new List<double>();
        var model = new FunkSvd(options).Fit(train, e => reported.Add(e.TrainRmse));

        // The same initial factors, then Surprise's SGD written plainly in double precision.
        var random = new GaussianFill(options.Seed);
        var stride = model.Stride;
        var p = FactorLayout.RandomNormalRows(train.UserCount, factors, stride, 0, 0.1, ref random).Select(x => (double)x).ToArray();
        var q = FactorLayout.RandomNormalRows(train.ItemCount, factors, stride, 0, 0.1, ref random).Select(x => (double)x).ToArray();
        var bu = new double[train.UserCount];
        var bi = new double[train.ItemCount];
        var expectedRmse = new List<double>();
        double lr = options.LearningRate, reg = options.Regularization, mu = train.GlobalMean;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            var sse = 0.0;
            for (var k = 0; k < train.Count; k++)
            {
                int u = train.UserIndex[k], i = train.ItemIndex[k];
                var dot = 0.0;
                for (var f = 0; f < factors; f++)
                {
                    dot += q[(i * stride) + f] * p[(u * stride) + f];
                }

                var err = train.Values[k] - (mu + bu[u] + bi[i] + dot);
                sse += err * err;
                bu[u] += lr * (err - (reg * bu[u]));
                bi[i] += lr * (err - (reg * bi[i]));
                for (var f = 0; f < factors; f++)
                {
                    var puf = p[(u * stride) + f];
                    var qif = q[(i * stride) + f];
                    p[(u * stride) + f] += lr * ((err * qif) - (reg * puf));
                    q[(i * stride) + f] += lr * ((err * puf) - (reg * qif));
                }
            }

            expectedRmse.Add(Math.Sqrt(sse / train.Count));
        }

        Assert.Equal(SgdPaths.StrideFor((SgdPath)path, factors), stride);
        Assert.Equal(0, stride % FactorLayout.StrideFor(1)); // whole vectors of the serving code's PaddedRows.Dot
        AssertClose(p, model.UserFactors, 3e-4);
        AssertClose(q, model.ItemFactors, 3e-4);
        AssertClose(bu, model.UserBias, 3e-4);
        AssertClose(bi, model.ItemBias, 3e-4);
        Assert.Equal(expectedRmse.Count, reported.Count);
        for (var e = 0; e < expectedRmse.Count; e++)
        {
            Assert.Equal(expectedRmse[e], reported[e], 1e-5);
        }
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Select((x, k) => Math.Abs(x - actual[k])).Max();
        Assert.True(worst <= tolerance, $"largest difference {worst} exceeds {tolerance}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void EveryPathRecoversAPlantedLowRankMatrixToNearTheNoiseLevel(SgdPathName path)
    {
        var (train, test) = Planted(noise: 0.1);

        var model = new FunkSvd(On(path, new FunkSvdOptions { Factors = 3, Epochs = 300, LearningRate = 0.01, Regularization = 0.01, Seed = 1 })).Fit(train);
        var rmse = Accuracy.Rmse(Evaluator.Predict(model, test));

        Assert.InRange(rmse, 0.08, 0.16);
    }

    [RequiresMovieLens100kTheory]
    [MemberData(nameof(Paths))]
    public void EveryPathMatchesSurprisesAccuracyOnTheFirstCanonicalSplit(SgdPathName path)
    {
        var (_, trainFile, testFile) = Splits.MovieLensFolderSplits(TestPaths.MovieLens100k).First();
        var train = Trainset.Build(RatingReaders.ReadTabSeparated(trainFile, RatingReaders.MovieLens100kScale), RatingReaders.MovieLens100kScale);
        var test = RatingReaders.ReadTabSeparated(testFile, RatingReaders.MovieLens100kScale);

        var rmse = Accuracy.Rmse(Evaluator.Predict(new FunkSvd(On(path, new FunkSvdOptions())).Fit(train), test));

        Assert.True(Math.Abs(rmse - 0.9513) <= 0.01, $"u1 on {path}: RMSE {rmse} vs Surprise 0.9513");
    }

    [Fact]
    public void EachForcedPathRunsItsOwnArithmetic()
    {
        // Every path rounds in its own order, so bit-identical factors would mean a forced path
        // silently ran another one.
        var (train, _) = Planted();
        var models = Enum.GetValues<SgdPathName>()
            .Select(path => new FunkSvd(On(path, new FunkSvdOptions { Factors = 20, Epochs = 2, Seed = 3 })).Fit(train))
            .ToList();

        for (var a = 0; a < models.Count; a++)
        {
            for (var b = a + 1; b < models.Count; b++)
            {
                var same = models[a].Stride == models[b].Stride && models[a].UserFactors.AsSpan().SequenceEqual(models[b].UserFactors);
                Assert.False(same, $"{(SgdPathName)(a + 1)} and {(SgdPathName)(b + 1)} gave bit-identical factors");
            }
        }
    }

    [Fact]
    public void ForcingFollowsTheOptionThenTheEnvironmentVariableThenTheHardware()
    {
        Assert.Equal(SgdPath.V128, SgdPaths.Resolve(SgdPath.V128, environmentValue: "v512"));
        Assert.Equal(SgdPath.V512, SgdPaths.Resolve(SgdPath.Auto, environmentValue: " V512 "));
        Assert.Equal(SgdPath.Scalar, SgdPaths.Resolve(SgdPath.Auto, environmentValue: "scalar"));
        Assert.Equal(SgdPaths.Hardware, SgdPaths.Resolve(SgdPath.Auto, environmentValue: null));
        Assert.Equal(SgdPaths.Hardware, SgdPaths.Resolve(SgdPath.Auto, environmentValue: "auto"));
        var error = Assert.Throws<InvalidOperationException>(() => SgdPaths.Resolve(SgdPath.Auto, environmentValue: "avx2"));
        Assert.Contains("LATENTLENS_SIMD", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AutoPicksTheWidestPathTheHardwareAccelerates()
    {
        var expected = System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? SgdPath.V512
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? SgdPath.V256
            : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? SgdPath.V128
            : SgdPath.Scalar;
        output.WriteLine($"this machine: {expected}");

        Assert.Equal(expected, SgdPaths.Hardware);
    }
}

/// <summary>The public mirror of the internal <see cref="SgdPath"/>, so xunit can show it in test names.</summary>
public enum SgdPathName
{
    Scalar = (int)SgdPath.Scalar,
    V128 = (int)SgdPath.V128,
    V256 = (int)SgdPath.V256,
    V512 = (int)SgdPath.V512,
}

public sealed class FunkSvdKernelPartsTests
{
    [Fact]
    public unsafe void AlignedFloatsStartOnACacheLineAndCopyBothWays()
    {
        var source = Enumerable.Range(0, 1000).Select(x => x * 0.5f).ToArray();
        using var aligned = AlignedFloats.CopyOf(source);

        Assert.Equal(0u, (nuint)aligned.Pointer % 64);
        var span = aligned.AsSpan();
        Assert.Equal(499.5f, span[999]);
        span[0] = -1;
        var back = new float[1000];
        aligned.CopyTo(back);
        Assert.Equal(-1, back[0]);
        Assert.Equal(source[1..], back[1..]);
    }

    [Theory]
    [InlineData(1f, int.MaxValue)] // no regularization: α never moves, a user is never split
    [InlineData(1f - (0.005f * 0.02f), 138_000)] // Surprise's defaults (138,6xx)
    [InlineData(0.9f, 131)]
    [InlineData(0.5f, 20)]
    public void AUserIsTakenInRunsOnlyAsLongAsTheScaleNeeds(float decay, int atLeast)
    {
        var run = FunkSvdLanesKernel.RunLength(decay);

        Assert.InRange(run, atLeast, atLeast == int.MaxValue ? int.MaxValue : (int)(atLeast * 1.01) + 1);
        if (decay < 1)
        {
            Assert.True(Math.Pow(decay, run) >= FunkSvdLanesKernel.FoldBelow, "the scale stays above the fold threshold");
        }
    }

    [Fact]
    public void TheScaledUpdatesAreRefusedForADecayThatFarFromOne()
    {
        // γλ ≥ 0.5 (the row would lose half its length per rating): FunkSvd runs the scalar loop instead.
        Assert.True(FunkSvdLanesKernel.Supports(0.005f, 0.02f));
        Assert.True(FunkSvdLanesKernel.Supports(0.01f, 10f));
        Assert.False(FunkSvdLanesKernel.Supports(0.05f, 10f));

        var ratings = new SyntheticRatings { Users = 50, Items = 40, Ratings = 1_500, Rank = 2, Noise = 0.1, Seed = 4 }.GenerateRaw();
        var train = Trainset.Build(ratings, new RatingScale(1, 5));
        var options = new FunkSvdOptions { Factors = 16, Epochs = 2, Seed = 1, LearningRate = 0.05, Regularization = 10 };
        var scalar = new FunkSvd(options with { Path = SgdPath.Scalar }).Fit(train);
        foreach (var path in new[] { SgdPath.V128, SgdPath.V256 })
        {
            var forced = new FunkSvd(options with { Path = path }).Fit(train);
            Assert.Equal(scalar.UserFactors[..16], forced.UserFactors[..16]); // the scalar loop's bits: it ran
            Assert.Equal(scalar.ItemBias, forced.ItemBias);
        }
    }
}
