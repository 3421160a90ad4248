using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.FoldIn;
using MathNet.Numerics.LinearAlgebra;
using static LatentLens.Tests.Recommender.FoldIn.TinyModels;

namespace LatentLens.Tests.Recommender.FoldIn;

/// <summary>Each family's fold-in against its closed form computed here, independently, with MathNet.</summary>
public sealed class FoldInHandComputationTests
{
    private static readonly Dictionary<string, string> NoParameters = [];

    [Fact]
    public void EveryServedFamilyHasAFoldIn()
    {
        foreach (var name in AlgorithmFactory.Names)
        {
            Assert.Contains(name, FoldIns.Supported);
        }
    }

    [Fact]
    public void PureSvdProjectsTheRatingsOntoTheItemFactors()
    {
        var foldIn = FoldIns.For(Model(AlgorithmFactory.PureSvd, NoParameters))!;
        var user = foldIn.Fold(History);

        var expected = Vector<double>.Build.Dense(Factors);
        foreach (var h in History)
        {
            expected += h.Rating * Row(Q, h.Item);
        }

        AssertClose(expected, user.Vector, 1e-5);
    }

    [Fact]
    public void BaselineFoldsTheUserBiasAsItsAlsStep()
    {
        var foldIn = FoldIns.For(Model(AlgorithmFactory.Baseline, new Dictionary<string, string> { ["reg_user"] = "15" }, new double[Items, 0]))!;
        var user = foldIn.Fold(History);
        var expected = History.Sum(h => h.Rating - Mean - ItemBias[h.Item]) / (15 + History.Length);
        Assert.Equal(expected, user.Bias, 5);
        Assert.Empty(user.Vector);
    }

    [Fact]
    public void CentredPureSvdFoldsTheBiasThenProjectsTheResiduals()
    {
        var foldIn = FoldIns.For(Model(AlgorithmFactory.PureSvdCentred, new Dictionary<string, string> { ["reg_user"] = "5" }))!;
        var user = foldIn.Fold(History);
        var bias = History.Sum(h => h.Rating - Mean - ItemBias[h.Item]) / (5.0 + History.Length);
        var expected = Vector<double>.Build.Dense(Factors);
        foreach (var h in History)
        {
            expected += (h.Rating - Mean - bias - ItemBias[h.Item]) * Row(Q, h.Item);
        }

        Assert.Equal(bias, user.Bias, 5);
        AssertClose(expected, user.Vector, 1e-5);
    }

    /// <summary>[b_u; p] = (ZᵀZ + nλI)⁻¹ Zᵀt, z_h = [1; q_h], t_h = r_h − μ − b_h − q_h·s (s the SVD++ implicit term).</summary>
    /// <summary>
    /// [b_u; p] = (Σ z zᵀ + (|H|λ + 1/(γE)) I)⁻¹ Σ z t: the SGD's fixed point |H|λ plus the ridge that E epochs of step γ
    /// from zero amount to (early stopping as regularisation).
    /// </summary>
    private static (double Bias, Vector<double> P, Vector<double> S) RidgeByHand(double lambda, double learningRate, int epochs, bool withImplicit)
    {
        var n = History.Length;
        var s = Vector<double>.Build.Dense(Factors);
        if (withImplicit)
        {
            foreach (var h in History)
            {
                s += Row(Y, h.Item);
            }

            s /= Math.Sqrt(n);
        }

        var z = Matrix<double>.Build.Dense(n, Factors + 1, (r, c) => c == 0 ? 1 : Q[History[r].Item, c - 1]);
        var t = Vector<double>.Build.Dense(n, r => History[r].Rating - Mean - ItemBias[History[r].Item] - Row(Q, History[r].Item).DotProduct(s));
        var a = (z.TransposeThisAndMultiply(z)) + (((n * lambda) + (1 / (learningRate * epochs))) * Matrix<double>.Build.DenseIdentity(Factors + 1));
        var x = a.Solve(z.TransposeThisAndMultiply(t));
        return (x[0], x.SubVector(1, Factors), s);
    }

    [Theory]
    [InlineData(0.02, 0.005, 20)] // Surprise's defaults
    [InlineData(0.5, 0.05, 40)]
    public void FunkSvdSolvesTheRegularisedLeastSquaresForBiasAndFactors(double lambda, double learningRate, int epochs)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        var parameters = new Dictionary<string, string>
        {
            ["regularization"] = lambda.ToString("R", invariant),
            ["learning_rate"] = learningRate.ToString("R", invariant),
            ["epochs"] = epochs.ToString(invariant),
        };
        var user = FoldIns.For(Model(AlgorithmFactory.FunkSvd, parameters))!.Fold(History);
        var (bias, p, _) = RidgeByHand(lambda, learningRate, epochs, withImplicit: false);
        Assert.Equal(bias, user.Bias, 4);
        AssertClose(p, user.Vector, 1e-5);
    }

    [Fact]
    public void SvdPlusPlusAddsTheExactImplicitTermOfTheHistory()
    {
        var parameters = new Dictionary<string, string> { ["regularization"] = "0.1", ["learning_rate"] = "0.01", ["epochs"] = "15" };
        var user = FoldIns.For(Model(AlgorithmFactory.SvdPlusPlus, parameters, implicitFactors: true))!.Fold(History);
        var (bias, p, s) = RidgeByHand(0.1, 0.01, 15, withImplicit: true);
        Assert.Equal(bias, user.Bias, 4);
        AssertClose(p + s, user.Vector, 1e-5);
    }

    [Fact]
    public void AlsSolvesTheConfidenceWeightedLeastSquaresExactly()
    {
        const double lambda = 0.3, alpha = 2;
        var parameters = new Dictionary<string, string> { ["regularization"] = "0.3", ["alpha"] = "2" };
        var user = FoldIns.For(Model(AlgorithmFactory.Als, parameters))!.Fold(History);

        // p = (YᵀY + Yᵀ(C_u − I)Y + λI)⁻¹ YᵀC_u p(u), C_u = diag(1 + α r) on the history, 1 elsewhere; p(u) = 1 on the history.
        var y = QMatrix;
        var c = Vector<double>.Build.Dense(Items, 1);
        var preference = Vector<double>.Build.Dense(Items);
        foreach (var h in History)
        {
            c[h.Item] = 1 + (alpha * h.Rating);
            preference[h.Item] = 1;
        }

        var confidence = Matrix<double>.Build.DenseOfDiagonalVector(c);
        var identity = Matrix<double>.Build.DenseIdentity(Items);
        var a = y.TransposeThisAndMultiply(y) + (y.Transpose() * (confidence - identity) * y) + (lambda * Matrix<double>.Build.DenseIdentity(Factors));
        var expected = a.Solve(y.Transpose() * confidence * preference);
        AssertClose(expected, user.Vector, 1e-5);
    }

    [Fact]
    public void BpmfIsThePerSamplePosteriorMeanUnderTheEmpiricalPrior()
    {
        // Two kept samples of k = 2 side by side, each block scaled by 1/√2 as the sampler saves them.
        var blocks = new double[,] { { 0.9, -0.2, 0.3, 0.1 }, { 0.3, 0.8, -0.4, 0.2 }, { -0.5, 0.4, 0.7, -0.1 }, { 0.2, -0.6, 0.5, 0.4 }, { 0.6, 0.1, -0.3, 0.2 }, { -0.1, 0.3, 0.2, -0.5 } };
        var users = new double[,] { { 0.2, 0.1, -0.3, 0.4 }, { -0.1, 0.5, 0.2, 0.1 }, { 0.3, -0.2, 0.1, -0.2 }, { 0.0, 0.3, -0.1, 0.3 }, { 0.4, 0.1, 0.2, 0.0 } };
        float[] userBias = [0.1f, -0.2f, 0.3f, 0f, -0.1f];
        var root = Math.Sqrt(2);
        Scaled(blocks, 1 / root);
        Scaled(users, 1 / root);
        var parameters = new Dictionary<string, string> { ["factors"] = "2", ["kept_samples"] = "2" };
        var saved = Model(AlgorithmFactory.Bpmf, parameters, blocks, userBias: userBias, users: users);

        // Training ratings give α_s: user 0 rated items 0 and 1, user 1 item 2, user 3 items 3 and 4.
        saved = saved with { RatedOffsets = [0, 2, 3, 3, 5, 5], RatedItems = [0, 1, 2, 3, 4] };
        saved = saved with { RatedValues = [4, 2, 5, 3, 1] };
        var user = FoldIns.For(saved)!.Fold(History);

        var expectedVector = new double[4];
        double expectedBias = 0;
        for (var s = 0; s < 2; s++)
        {
            // Prior: the empirical mean and covariance of [√2·block_s; b_u] over the trained users (plus the 1e-6 ridge).
            var rows = Matrix<double>.Build.Dense(5, 3, (u, c) => c < 2 ? users[u, (s * 2) + c] * root : userBias[u]);
            var mean = rows.ColumnSums() / 5;
            var centred = rows - Matrix<double>.Build.Dense(5, 3, (_, c) => mean[c]);
            var covariance = centred.TransposeThisAndMultiply(centred) / 4;
            covariance += 1e-6 * Math.Max(covariance.Diagonal().Sum() / 3, 1e-6) * Matrix<double>.Build.DenseIdentity(3);
            var precision = covariance.Inverse();

            // α_s from the training residuals of sample s alone.
            double sse = 0;
            (int U, int I, double R)[] ratings = [(0, 0, 4), (0, 1, 2), (1, 2, 5), (3, 3, 3), (3, 4, 1)];
            foreach (var (u, i, r) in ratings)
            {
                var dot = 2 * ((users[u, s * 2] * blocks[i, s * 2]) + (users[u, (s * 2) + 1] * blocks[i, (s * 2) + 1]));
                var e = r - (Mean + userBias[u] + ItemBias[i] + dot);
                sse += e * e;
            }

            var alpha = 5 / sse;
            var a = precision.Clone();
            var b = precision * mean;
            foreach (var h in History)
            {
                var z = Vector<double>.Build.DenseOfArray([blocks[h.Item, s * 2] * root, blocks[h.Item, (s * 2) + 1] * root, 1]);
                a += alpha * z.OuterProduct(z);
                b += alpha * (h.Rating - Mean - ItemBias[h.Item]) * z;
            }

            var x = a.Solve(b);
            expectedVector[s * 2] = x[0] / root;
            expectedVector[(s * 2) + 1] = x[1] / root;
            expectedBias += x[2] / 2;
        }

        AssertClose(expectedVector, user.Vector, 1e-4);
        Assert.Equal(expectedBias, user.Bias, 4);
    }

    private static void Scaled(double[,] values, double by)
    {
        for (var r = 0; r < values.GetLength(0); r++)
        {
            for (var c = 0; c < values.GetLength(1); c++)
            {
                values[r, c] *= by;
            }
        }
    }

    [Fact]
    public void PopularRanksWithoutTheHistory()
    {
        var saved = Model(AlgorithmFactory.Popular, NoParameters, new double[Items, 0]);
        var foldIn = FoldIns.For(saved)!;
        var a = FoldIns.Recommend(foldIn, foldIn.Fold(History), 3, []);
        var b = FoldIns.Recommend(foldIn, foldIn.Fold([new(1, 2)]), 3, []);
        Assert.Equal(a.Select(s => s.Item), b.Select(s => s.Item));
    }

    public static TheoryData<string> ExplainedFamilies => new() { AlgorithmFactory.PureSvd, AlgorithmFactory.PureSvdCentred, AlgorithmFactory.FunkSvd, AlgorithmFactory.SvdPlusPlus, AlgorithmFactory.Als };

    [Theory]
    [MemberData(nameof(ExplainedFamilies))]
    public void ExplainPartsSumToTheHistoryPartOfTheScore(string algorithm)
    {
        var parameters = new Dictionary<string, string> { ["regularization"] = "0.1", ["alpha"] = "1", ["reg_user"] = "3" };
        var foldIn = FoldIns.For(Model(algorithm, parameters, implicitFactors: algorithm == AlgorithmFactory.SvdPlusPlus))!;
        var user = foldIn.Fold(History);
        var scores = new float[Items];
        foldIn.Score(user, scores);
        var parts = new float[History.Length];
        var contributions = user.Contributions!;
        var stride = foldIn.Saved.Model.Stride;
        for (var item = 0; item < Items; item++)
        {
            Assert.True(foldIn.Explain(user, item, parts));
            var historyPart = scores[item] - foldIn.Saved.Model.RankingOffsets[item];
            Assert.InRange(parts.Sum() - historyPart, -1e-4, 1e-4);

            // The contribution rows say the same thing entry by entry.
            var q = foldIn.Saved.Model.ItemFactors.AsSpan(item * stride, stride);
            for (var h = 0; h < History.Length; h++)
            {
                Assert.InRange(parts[h] - System.Numerics.Tensors.TensorPrimitives.Dot(contributions.AsSpan(h * stride, stride), q), -1e-4, 1e-4);
            }
        }
    }
}
