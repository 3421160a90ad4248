using System.Globalization;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;
using MathNet.Numerics.LinearAlgebra;
using Xunit.Abstractions;

namespace LatentLens.Tests.Recommender;

public sealed class ImplicitAlsTests(ITestOutputHelper output)
{
    private static readonly RatingScale Scale = new(1, 5);

    /// <summary>
    /// Users and items in <paramref name="clusters"/> clusters; each user rates (1 to 5) every item of its own cluster
    /// except every fifth one, which is held out; no user rates outside its cluster.
    /// </summary>
    private static (Trainset Train, int[] UserCluster, int[] ItemCluster) Clustered(int users = 60, int items = 48, int clusters = 4)
    {
        var random = new Random(5);
        var userCluster = Enumerable.Range(0, users).Select(u => u % clusters).ToArray();
        var itemCluster = Enumerable.Range(0, items).Select(i => i % clusters).ToArray();
        var ratings = new List<RawRating>();
        for (var u = 0; u < users; u++)
        {
            for (var i = 0; i < items; i++)
            {
                if (userCluster[u] == itemCluster[i] && (u + i) % 5 != 0)
                {
                    ratings.Add(new RawRating(Id(u), Id(i), random.Next(1, 6), 0));
                }
            }
        }

        var train = Trainset.Build(ratings, Scale);

        // Clusters by dense index.
        var uc = new int[train.UserCount];
        var ic = new int[train.ItemCount];
        for (var u = 0; u < users; u++)
        {
            uc[train.Users.TryGetIndex(Id(u), out var du) ? du : throw new InvalidOperationException()] = userCluster[u];
        }

        for (var i = 0; i < items; i++)
        {
            ic[train.Items.TryGetIndex(Id(i), out var di) ? di : throw new InvalidOperationException()] = itemCluster[i];
        }

        return (train, uc, ic);
    }

    private static string Id(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static float Score(FactorModel model, int u, int i) => System.Numerics.Tensors.TensorPrimitives.Dot(
        model.UserFactors.AsSpan(u * model.Stride, model.Stride), model.ItemFactors.AsSpan(i * model.Stride, model.Stride));

    [Theory]
    [InlineData(4, 0.1, 1.0, false)]
    [InlineData(7, 0.01, 3.0, false)]
    [InlineData(5, 0.002, 10.0, true)]
    public void EnoughCgStepsSolveOneRowExactlyAsTheClosedFormDoes(int factors, double regularization, double alpha, bool scaled)
    {
        var random = new Random(17);
        const int items = 15;
        var stride = FactorLayout.StrideFor(factors);
        var y = new float[items * stride];
        for (var i = 0; i < items; i++)
        {
            for (var f = 0; f < factors; f++)
            {
                y[(i * stride) + f] = (float)(random.NextDouble() - 0.5);
            }
        }

        int[] rated = [1, 4, 5, 9, 13];
        float[] values = [5, 1, 3, 4, 2];
        var weights = values.Select(r => (float)(alpha * r)).ToArray();
        var x = new float[stride];
        for (var f = 0; f < factors; f++)
        {
            x[f] = (float)random.NextDouble();
        }

        // Scaled (Rendle et al. 2021), the row's λ is λ times its total confidence Σ_all c = items + Σ_rated α·r, on its own diagonal.
        var rowLambda = scaled ? regularization * (items + weights.Sum()) : regularization;
        var gram = ImplicitAlsSolver.Gram(y, items, factors, stride, scaled ? 0f : (float)regularization);
        // CG is exact after f steps in exact arithmetic; in float32 a few more steps absorb the rounding.
        ImplicitAlsSolver.SolveRow(gram, y, rated, weights, x, factors, stride, cgSteps: 2 * factors, new float[(3 * stride) + rated.Length],
            diagonal: scaled ? (float)rowLambda : 0f);
        if (scaled)
        {
            Assert.Equal(rowLambda, new ImplicitAlsAdjacency([0, rated.Length], rated, weights).ScaledPenalty(regularization, items)[0], 1e-4);
        }

        // (YᵀC_uY + λI) x = YᵀC_u p_u over all items: c = 1 + α r and p = 1 where rated, c = 1 and p = 0 elsewhere.
        var yMatrix = Matrix<double>.Build.Dense(items, factors, (i, f) => y[(i * stride) + f]);
        var c = Vector<double>.Build.Dense(items, 1.0);
        var p = Vector<double>.Build.Dense(items);
        for (var k = 0; k < rated.Length; k++)
        {
            c[rated[k]] = 1 + (alpha * values[k]);
            p[rated[k]] = 1;
        }

        var cu = Matrix<double>.Build.DenseOfDiagonalVector(c);
        var a = (yMatrix.Transpose() * cu * yMatrix) + (rowLambda * Matrix<double>.Build.DenseIdentity(factors));
        var expected = a.Solve(yMatrix.Transpose() * cu * p);

        for (var f = 0; f < factors; f++)
        {
            Assert.Equal(expected[f], x[f], 2e-4 * Math.Max(1, Math.Abs(expected[f])));
        }

        Assert.All(x[factors..], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void GramIsYTransposeYPlusLambdaOnTheDiagonalWithZeroPadding()
    {
        var random = new Random(3);
        const int factors = 5, rows = 300;
        var stride = FactorLayout.StrideFor(factors);
        var y = new float[rows * stride];
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < factors; f++)
            {
                y[(r * stride) + f] = (float)(random.NextDouble() - 0.5);
            }
        }

        var gram = ImplicitAlsSolver.Gram(y, rows, factors, stride, 0.25f);

        for (var a = 0; a < stride; a++)
        {
            for (var b = 0; b < stride; b++)
            {
                double expected = 0;
                if (a < factors && b < factors)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        expected += (double)y[(r * stride) + a] * y[(r * stride) + b];
                    }

                    expected += a == b ? 0.25 : 0;
                }

                Assert.Equal(expected, gram[(a * stride) + b], 1e-3);
            }
        }
    }

    [Fact]
    public void APlantedClusterStructureIsRecoveredHeldOutItemsIncluded()
    {
        var (train, userCluster, itemCluster) = Clustered();

        var model = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Seed = 1 }).Fit(train);

        // Every item of the user's cluster, rated or held out, scores above every item of another cluster.
        for (var u = 0; u < train.UserCount; u++)
        {
            var inside = Enumerable.Range(0, train.ItemCount).Where(i => itemCluster[i] == userCluster[u]).Min(i => Score(model, u, i));
            var outside = Enumerable.Range(0, train.ItemCount).Where(i => itemCluster[i] != userCluster[u]).Max(i => Score(model, u, i));
            Assert.True(inside > outside + 0.1, $"user {u}: lowest in-cluster score {inside}, highest other {outside}");
        }
    }

    [Fact]
    public void TheModelRanksOnlyWithZeroBiasesAndZeroPadding()
    {
        var (train, _, _) = Clustered();

        var model = new ImplicitAls(new ImplicitAlsOptions { Factors = 5, Iterations = 3 }).Fit(train);

        Assert.False(model.PredictsRatings);
        Assert.Equal("als", model.Algorithm);
        Assert.Equal(0, model.GlobalMean);
        Assert.All(model.UserBias, b => Assert.Equal(0f, b));
        Assert.All(model.ItemBias, b => Assert.Equal(0f, b));
        Assert.Equal(5, model.Factors);
        for (var f = 5; f < model.Stride; f++)
        {
            Assert.All(Enumerable.Range(0, train.UserCount), u => Assert.Equal(0f, model.UserFactors[(u * model.Stride) + f]));
            Assert.All(Enumerable.Range(0, train.ItemCount), i => Assert.Equal(0f, model.ItemFactors[(i * model.Stride) + f]));
        }
    }

    [Fact]
    public void TheLossIsReportedEveryIterationAndNeverRises()
    {
        var (train, _, _) = Clustered();
        var reports = new List<EpochReport>();

        new ImplicitAls(new ImplicitAlsOptions { Factors = 6, Iterations = 10, Seed = 2 }).Fit(train, reports.Add);

        Assert.Equal(Enumerable.Range(1, 10), reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.True(double.IsFinite(r.TrainRmse) && r.TrainRmse > 0));
        for (var k = 1; k < reports.Count; k++)
        {
            // CG from the current row lowers each row's quadratic, so every half-iteration lowers the objective.
            Assert.True(reports[k].TrainRmse <= reports[k - 1].TrainRmse * (1 + 1e-5), $"iteration {k + 1}: {reports[k].TrainRmse} after {reports[k - 1].TrainRmse}");
            Assert.True(reports[k].Elapsed >= reports[k - 1].Elapsed);
        }

        Assert.True(reports[^1].TrainRmse < reports[0].TrainRmse * 0.9);
    }

    [Fact]
    public void SameSeedAndDataGiveAnIdenticalModelAndAnotherSeedAnother()
    {
        var train = Trainset.Build(TestData.SyntheticWithTitles().Ratings, Scale);

        var a = new ImplicitAls(new ImplicitAlsOptions { Factors = 20, Iterations = 4, Seed = 11 }).Fit(train);
        var b = new ImplicitAls(new ImplicitAlsOptions { Factors = 20, Iterations = 4, Seed = 11 }).Fit(train);
        var c = new ImplicitAls(new ImplicitAlsOptions { Factors = 20, Iterations = 4, Seed = 12 }).Fit(train);

        Assert.Equal(a.UserFactors, b.UserFactors);
        Assert.Equal(a.ItemFactors, b.ItemFactors);
        Assert.NotEqual(a.UserFactors, c.UserFactors);
        Assert.NotEqual(a.ItemFactors, c.ItemFactors);
    }

    [Fact]
    public void CancellationStopsTrainingBetweenIterations()
    {
        var (train, _, _) = Clustered();
        using var cts = new CancellationTokenSource();
        var seen = 0;

        Assert.Throws<OperationCanceledException>(() => new ImplicitAls(new ImplicitAlsOptions { Factors = 4, Iterations = 10 })
            .Fit(train, _ => { seen++; cts.Cancel(); }, cts.Token));
        Assert.Equal(1, seen);
    }

    [Fact]
    public void NameDisplayNameAndParametersUseTheInvariantCulture()
    {
        var als = new ImplicitAls(new ImplicitAlsOptions { Factors = 64, Iterations = 20, Regularization = 0.05, ScaleRegularization = false, Alpha = 40, CgSteps = 2, Seed = 3 });

        Assert.Equal("als", als.Name);
        Assert.Equal("als-f64-i20", als.DisplayName);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["algorithm"] = "als", ["factors"] = "64", ["iterations"] = "20", ["regularization"] = "0.05",
                ["alpha"] = "40", ["regularization_scaling"] = "none", ["cg_steps"] = "2", ["seed"] = "3",
            },
            als.Parameters);
        Assert.Equal("als-f128-i15", new ImplicitAls(new ImplicitAlsOptions()).DisplayName);
        Assert.Equal("frequency", new ImplicitAls(new ImplicitAlsOptions()).Parameters["regularization_scaling"]);
    }

    [Theory]
    [InlineData("factors", 0)]
    [InlineData("iterations", 0)]
    [InlineData("regularization", -0.1)]
    [InlineData("regularization", double.NaN)]
    [InlineData("regularization", double.PositiveInfinity)]
    [InlineData("alpha", -1)]
    [InlineData("alpha", double.NaN)]
    [InlineData("alpha", double.PositiveInfinity)]
    [InlineData("cg_steps", 0)]
    public void InvalidOptionsAreRejected(string option, double value)
    {
        var options = option switch
        {
            "factors" => new ImplicitAlsOptions { Factors = (int)value },
            "iterations" => new ImplicitAlsOptions { Iterations = (int)value },
            "regularization" => new ImplicitAlsOptions { Regularization = value },
            "alpha" => new ImplicitAlsOptions { Alpha = value },
            _ => new ImplicitAlsOptions { CgSteps = (int)value },
        };

        Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitAls(options).Fit(Clustered().Train));
    }

    [Fact]
    public void BoundaryOptionsAreAccepted()
    {
        new ImplicitAlsOptions { Factors = 1, Iterations = 1, Regularization = 0, Alpha = 0, CgSteps = 1 }.Validate();
        new ImplicitAlsOptions().Validate();
    }

    /// <summary>Times the default fit on u1.base (80,000 ratings); the figure in docs/benchmarks.md comes from a Release run of this test.</summary>
    [RequiresMovieLens100kFact]
    [Trait("Category", "Timing")]
    public void FitsMovieLens100kU1WithTheDefaultsAndReportsItsSpeed()
    {
        var ratings = RatingReaders.ReadTabSeparated(Path.Combine(TestPaths.MovieLens100k, "u1.base"), RatingReaders.MovieLens100kScale);
        var train = Trainset.Build(ratings, RatingReaders.MovieLens100kScale);
        var options = new ImplicitAlsOptions();
        var als = new ImplicitAls(options);

        var reports = new List<EpochReport>();
        var model = als.Fit(train, reports.Add);
        output.WriteLine("loss per iteration: " + string.Join(", ", reports.Select(r => r.TrainRmse.ToString("G5", CultureInfo.InvariantCulture))));
        Assert.True(reports[^1].TrainRmse < reports[0].TrainRmse);
        Assert.All(model.UserFactors, v => Assert.True(float.IsFinite(v)));
        Assert.All(model.ItemFactors, v => Assert.True(float.IsFinite(v)));

        // Ranking on u1.test (every rated item counts as relevant): top 10 of the items the user has not rated in u1.base.
        var test = RatingReaders.ReadTabSeparated(Path.Combine(TestPaths.MovieLens100k, "u1.test"), RatingReaders.MovieLens100kScale);
        var popularity = new float[train.ItemCount];
        foreach (var i in train.ItemIndex)
        {
            popularity[i]++;
        }

        var alsPrecision = PrecisionAt10(train, test, (u, i) => Score(model, u, i));
        var popularPrecision = PrecisionAt10(train, test, (_, i) => popularity[i]);
        output.WriteLine(FormattableString.Invariant($"precision@10 on u1.test: als {alsPrecision:F4}, most popular {popularPrecision:F4}"));
        Assert.True(alsPrecision > popularPrecision + 0.03, $"als {alsPrecision}, most popular {popularPrecision}");

        // Timing means something only for optimised code; unoptimised, one fit takes seconds, so the suite skips the rest.
        if (!FitTiming.IsOptimised)
        {
            output.WriteLine("not timed: LatentLens.Api was built without optimisation (run with -c Release)");
            return;
        }

        als.Fit(train);
        var (times, cpuTimes) = FitTiming.Measure(() => als.Fit(train));
        var median = times[times.Count / 2];
        var cpuMedian = cpuTimes[cpuTimes.Count / 2];
        var work = (double)train.Count * options.Iterations;
        output.WriteLine(FormattableString.Invariant(
            $"als defaults on u1.base ({train.Count} ratings, {train.UserCount} x {train.ItemCount}), {Environment.ProcessorCount} cores: median fit {median:F4} s (best {times[0]:F4}, worst {times[^1]:F4}) = {median * 1e9 / work:F0} ns per rating per iteration; CPU time per fit median {cpuMedian:F4} s (best {cpuTimes[0]:F4}) = {cpuMedian * 1e9 / work:F0} ns per rating per iteration per core"));
    }

    private static double PrecisionAt10(Trainset train, List<RawRating> test, Func<int, int, float> score)
    {
        var rated = Enumerable.Range(0, train.UserCount).Select(_ => new HashSet<int>()).ToArray();
        for (var k = 0; k < train.Count; k++)
        {
            rated[train.UserIndex[k]].Add(train.ItemIndex[k]);
        }

        var relevant = new Dictionary<int, HashSet<int>>();
        foreach (var r in test)
        {
            if (train.Users.TryGetIndex(r.User, out var u) && train.Items.TryGetIndex(r.Item, out var i))
            {
                (relevant.TryGetValue(u, out var set) ? set : relevant[u] = []).Add(i);
            }
        }

        return relevant.Average(pair =>
            Enumerable.Range(0, train.ItemCount).Where(i => !rated[pair.Key].Contains(i))
                .OrderByDescending(i => score(pair.Key, i)).ThenBy(i => i).Take(10).Count(pair.Value.Contains) / 10.0);
    }
}
