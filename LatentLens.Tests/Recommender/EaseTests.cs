using System.Globalization;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;
using LatentLens.Api.Tracking.Artifacts;
using MathNet.Numerics.LinearAlgebra;

namespace LatentLens.Tests.Recommender;

/// <summary>EASE: the inverse against MathNet, the closed form by hand, the sparsification, serving and the artifact.</summary>
public sealed class EaseTests
{
    /// <summary>A random symmetric positive-definite matrix: AᵀA/n + I, well enough conditioned for float.</summary>
    private static Matrix<double> RandomSpd(int n, int seed)
    {
        var random = new Random(seed);
        var a = Matrix<double>.Build.Dense(n + 7, n, (_, _) => random.NextDouble() - 0.5);
        return (a.TransposeThisAndMultiply(a) / n) + Matrix<double>.Build.DenseIdentity(n);
    }

    private static unsafe float[] InvertWithSpdInverse(Matrix<double> m, SpdKernel kernel, int threads, int block)
    {
        var n = m.RowCount;
        var a = new float[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                // The upper triangle is scratch: garbage there must not matter.
                a[(i * n) + j] = j <= i ? (float)m[i, j] : 1e3f;
            }
        }

        fixed (float* p = a)
        {
            SpdInverse.InvertLower(p, n, threads, kernel, block);
            SpdInverse.MirrorLower(p, n, threads);
        }

        return a;
    }

    [Theory]
    [InlineData("V512", 1, 32)]
    [InlineData("V512", 2, 64)]
    [InlineData("Vector", 1, 32)]
    [InlineData("Vector", 2, 64)]
    [InlineData("Auto", 2, 256)]
    public void TheBlockedInverseMatchesMathNet(string kernelName, int threads, int block)
    {
        var kernel = Enum.Parse<SpdKernel>(kernelName);
        const int n = 160;
        var m = RandomSpd(n, seed: 3);
        var expected = m.Inverse();

        var actual = InvertWithSpdInverse(m, kernel, threads, block);

        var worst = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                worst = Math.Max(worst, Math.Abs(actual[(i * n) + j] - expected[i, j]));
            }
        }

        Assert.True(worst < 1e-4, $"largest difference from MathNet's inverse {worst}");
    }

    [Fact]
    public void TheSmallDoubleInverseMatchesMathNet()
    {
        var m = RandomSpd(37, seed: 5);
        var values = m.ToRowMajorArray();

        SpdInverse.InvertSmall(values, 37);

        var expected = m.Inverse().ToRowMajorArray();
        Assert.All(values.Zip(expected), pair => Assert.Equal(pair.Second, pair.First, 1e-10));
    }

    [Fact]
    public void ANonPositiveDefiniteMatrixIsRefused()
    {
        double[] m = [1, 2, 2, 1];

        Assert.Throws<ArithmeticException>(() => SpdInverse.InvertSmall(m, 2));
    }

    /// <summary>5 users, 4 items; user u rates item i with value r (a zero is no rating).</summary>
    private static readonly float[,] Tiny =
    {
        { 5, 3, 0, 1 },
        { 4, 0, 0, 1 },
        { 1, 1, 0, 5 },
        { 0, 1, 5, 4 },
        { 2, 0, 4, 0 },
    };

    private static Trainset TinyTrainset()
    {
        var ratings = new List<RawRating>();
        for (var u = 0; u < Tiny.GetLength(0); u++)
        {
            for (var i = 0; i < Tiny.GetLength(1); i++)
            {
                if (Tiny[u, i] > 0)
                {
                    ratings.Add(new RawRating($"u{u}", $"i{i}", Tiny[u, i], 0));
                }
            }
        }

        return Trainset.Build(ratings, new RatingScale(1, 5));
    }

    /// <summary>Steck's closed form by hand: B = I − P diag(1/diag P), P = (XᵀX + λI)⁻¹, in double.</summary>
    private static Matrix<double> ClosedForm(bool binary, double lambda)
    {
        var x = Matrix<double>.Build.Dense(Tiny.GetLength(0), Tiny.GetLength(1), (u, i) => Tiny[u, i] == 0 ? 0 : binary ? 1 : Tiny[u, i]);
        var p = (x.TransposeThisAndMultiply(x) + (lambda * Matrix<double>.Build.DenseIdentity(x.ColumnCount))).Inverse();
        var b = Matrix<double>.Build.Dense(p.RowCount, p.ColumnCount, (i, j) => i == j ? 0 : -p[i, j] / p[j, j]);
        return b;
    }

    [Theory]
    [InlineData(false, 10.0)]
    [InlineData(true, 0.5)]
    public void TheWeightsAreTheClosedForm(bool binary, double lambda)
    {
        var trainset = TinyTrainset();
        var expected = ClosedForm(binary, lambda);

        var weights = Ease.FitWeights(trainset, new EaseOptions { Lambda = lambda, Binary = binary, Neighbours = 0, Threads = 2 });

        Assert.Equal(binary, weights.Binary);
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                var actual = weights.Weight(trainset.Items.TryGetIndex($"i{i}", out var ii) ? ii : -1, trainset.Items.TryGetIndex($"i{j}", out var jj) ? jj : -1);
                Assert.True(Math.Abs(actual - expected[i, j]) < 1e-5 * Math.Max(1, Math.Abs(expected[i, j])), $"B[{i},{j}] = {actual}, by hand {expected[i, j]}");
            }
        }
    }

    [Fact]
    public void SparsificationKeepsEachRowsLargestWeights()
    {
        var data = TestData.SyntheticWithTitles(seed: 4);
        var trainset = Trainset.Build(data.Ratings, data.Scale);
        var dense = Ease.FitWeights(trainset, new EaseOptions { Lambda = 50, Neighbours = 0 });
        const int keep = 7;

        var sparse = Ease.FitWeights(trainset, new EaseOptions { Lambda = 50, Neighbours = keep });

        Assert.Equal(trainset.ItemCount * keep, sparse.Count);
        for (var i = 0; i < trainset.ItemCount; i++)
        {
            var row = Enumerable.Range(0, trainset.ItemCount).Where(j => j != i).Select(j => (Item: j, Weight: dense.Weight(i, j))).ToList();
            var smallestKept = row.OrderByDescending(e => Math.Abs(e.Weight)).ElementAt(keep - 1).Weight;
            var kept = sparse.Columns.AsSpan(sparse.Offsets[i], keep).ToArray();
            Assert.Equal(kept.Order(), kept);
            Assert.DoesNotContain(i, kept);
            foreach (var (item, weight) in row)
            {
                if (Math.Abs(weight) > Math.Abs(smallestKept))
                {
                    Assert.Contains(item, kept);
                }

                if (kept.Contains(item))
                {
                    Assert.Equal(weight, sparse.Weight(i, item));
                    Assert.True(Math.Abs(weight) >= Math.Abs(smallestKept));
                }
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(50)]
    [InlineData(100)]
    public void QuickselectFindsTheKthLargest(int k)
    {
        var random = new Random(k);
        var values = Enumerable.Range(0, 100).Select(_ => (float)random.Next(30)).ToArray();
        var expected = values.OrderDescending().ElementAt(k - 1);

        Assert.Equal(expected, Ease.KthLargest(values.AsSpan(), k));
    }

    private static (SavedModel Saved, RatingData Data) Fitted(bool binary = false)
    {
        var data = TestData.SyntheticWithTitles(seed: 6);
        var trainset = Trainset.Build(data.Ratings, data.Scale);
        var algorithm = AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.Ease, Regularization: 100, Binary: binary, Neighbours: 20));
        var model = algorithm.Fit(trainset);
        return (SavedModel.From(model, trainset, data.Titles, algorithm.Parameters), data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATrainedUsersListIsTheFoldInOfTheirHistory(bool binary)
    {
        var (saved, data) = Fitted(binary);
        var foldIn = FoldIns.For(saved)!;
        Assert.Equal(!binary, foldIn.NeedsRatings);
        var model = saved.Model;
        foreach (var user in new[] { "0", "7", "42" })
        {
            var u = model.Users.TryGetIndex(user, out var index) ? index : throw new InvalidOperationException(user);
            HistoryEntry[] history = [.. data.Ratings.Where(r => r.User == user).Select(r => new HistoryEntry(model.Items.TryGetIndex(r.Item, out var i) ? i : -1, r.Value))];

            var trained = FoldIns.RecommendTrained(saved, u, 10, excludeRated: true);
            var folded = FoldIns.Recommend(foldIn, foldIn.Fold(history), 10, saved.RatedBy(u));

            Assert.Equal(folded, trained);

            // By hand: Σ_h x_h B_hj over the dense weights kept, the rated items left out.
            var scores = new float[model.Items.Count];
            foreach (var h in history)
            {
                for (var j = 0; j < scores.Length; j++)
                {
                    scores[j] += (binary ? 1 : h.Rating) * model.ItemWeights!.Weight(h.Item, j);
                }
            }

            foreach (var h in history)
            {
                scores[h.Item] = float.NegativeInfinity;
            }

            var best = Enumerable.Range(0, scores.Length).OrderByDescending(j => scores[j]).ThenBy(j => j).Take(10).ToArray();
            Assert.Equal(best, trained.Select(t => t.Item).ToArray());

            // Each history entry's part of an item's score sums to the score.
            var parts = new float[history.Length];
            Assert.True(foldIn.Explain(foldIn.Fold(history), trained[0].Item, parts));
            Assert.Equal(trained[0].Score, parts.Sum(), 3);
        }
    }

    [Fact]
    public void TheEvaluationRanksEaseThroughTheFoldIn()
    {
        var data = TestData.SyntheticWithTitles(seed: 6);
        var ratings = data.Ratings.ToList();
        var test = ratings.Where((_, k) => k % 5 == 0).ToList();
        var train = Trainset.Build([.. ratings.Where((_, k) => k % 5 != 0)], data.Scale);
        var ease = AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.Ease, Regularization: 100));
        var popular = AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.Popular));

        var easeNdcg = TopN.Evaluate(SavedModel.From(ease.Fit(train), train, data.Titles, ease.Parameters), test, 10, 4).Ndcg;
        var popularNdcg = TopN.Evaluate(SavedModel.From(popular.Fit(train), train, data.Titles, popular.Parameters), test, 10, 4).Ndcg;

        // Scored with user factors (none), every item would tie at zero: the fold-in makes the list personal.
        Assert.True(easeNdcg > popularNdcg, $"ease {easeNdcg}, popular {popularNdcg}");
    }

    [Fact]
    public void TheFactoryTakesEasesOptionsOnly()
    {
        var ease = (Ease)AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.Ease, Regularization: 250, Binary: true, Neighbours: 30));

        Assert.Equal(new EaseOptions { Lambda = 250, Binary = true, Neighbours = 30 }, ease.Options with { Threads = new EaseOptions().Threads });
        Assert.Equal("250", ease.Parameters["reg"]);
        Assert.Throws<ArgumentException>(() => AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.Ease, Factors: 10)));
        Assert.Throws<ArgumentException>(() => AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.FunkSvd, Binary: true)));
        Assert.Throws<ArgumentException>(() => AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.PureSvd, Neighbours: 5)));
        Assert.ThrowsAny<ArgumentException>(() => AlgorithmFactory.Create(new AlgorithmSettings(AlgorithmFactory.Ease, Regularization: 0)));
    }

    private static string Save(SavedModel saved)
    {
        var folder = Path.Combine(TestPaths.NewTempFolder(), "model");
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in ModelArtifact.Build(saved, "run", "uuid", DateTime.UtcNow))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, name))!);
            File.WriteAllBytes(Path.Combine(folder, name), content);
        }

        return folder;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheArtifactKeepsTheWeights(bool binary)
    {
        var (saved, _) = Fitted(binary);
        var folder = Save(saved);
        try
        {
            var loaded = ModelArtifact.Load(folder);

            var weights = loaded.Model.ItemWeights!;
            Assert.Equal(binary, weights.Binary);
            Assert.Equal(saved.Model.ItemWeights!.Offsets, weights.Offsets);
            Assert.Equal(saved.Model.ItemWeights.Columns, weights.Columns);
            Assert.Equal(saved.Model.ItemWeights.Values, weights.Values);
            Assert.False(loaded.Model.PredictsRatings);
            Assert.Equal(FoldIns.RecommendTrained(saved, 3, 10, true), FoldIns.RecommendTrained(loaded, 3, 10, true));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    public static TheoryData<string> Corruptions() =>
        ["item past the catalogue", "items not ascending", "NaN weight", "offsets end early", "offsets too few", "values too short"];

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void ACorruptedWeightArrayIsRefusedNamingTheFile(string corruption)
    {
        var (saved, _) = Fitted();
        var folder = Save(saved);
        try
        {
            var weights = saved.Model.ItemWeights!;
            var offsets = (int[])weights.Offsets.Clone();
            var columns = (int[])weights.Columns.Clone();
            var values = (float[])weights.Values.Clone();
            var (file, content, expected) = corruption switch
            {
                "item past the catalogue" => ("item_weight_items.npy", NpyFile.WriteInt32([.. columns[..^1], weights.Items]), "outside"),
                "items not ascending" => ("item_weight_items.npy", NpyFile.WriteInt32([columns[1], columns[0], .. columns[2..]]), "strictly ascending"),
                "NaN weight" => ("item_weight_values.npy", NpyFile.WriteVector([.. values[..5], float.NaN, .. values[6..]]), "finite"),
                "offsets end early" => ("item_weight_offsets.npy", NpyFile.WriteInt32([.. offsets[..^1], offsets[^1] - 1]), "holds"),
                "offsets too few" => ("item_weight_offsets.npy", NpyFile.WriteInt32(offsets[..^1]), "offsets"),
                _ => ("item_weight_values.npy", NpyFile.WriteVector(values[..^1]), "shape"),
            };
            File.WriteAllBytes(Path.Combine(folder, file), content);

            var error = Assert.Throws<InvalidDataException>(() => ModelArtifact.Load(folder));

            Assert.Contains(Path.Combine(folder, file), error.Message, StringComparison.Ordinal);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    [Fact]
    public void TheSizeGuardCountsTheDenseGramMatrix()
    {
        var bytes = ModelSizeGuard.EstimateBytes(new AlgorithmSettings(AlgorithmFactory.Ease), 610, 9_724);

        Assert.True(bytes > 9_724L * 9_724 * 4, bytes.ToString(CultureInfo.InvariantCulture));
        var error = Assert.Throws<ArgumentException>(() => ModelSizeGuard.Check(new AlgorithmSettings(AlgorithmFactory.Ease), 610, 9_724, limitBytes: 100L << 20));
        Assert.Contains("9,724 × 9,724 matrix", error.Message, StringComparison.Ordinal);
    }
}
