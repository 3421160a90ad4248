using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Tests.Recommender;

/// <summary>SVD++ against a plain transcription of Surprise's SVDpp loop, and against Surprise's accuracy.</summary>
public sealed class SvdPlusPlusTests
{
    /// <summary>Surprise's <c>SVDpp.sgd</c>, line by line: the implicit sum recomputed and every y_j updated for every rating.</summary>
    private static void SurpriseEpoch(Trainset t, SvdPlusPlus.State st, int f, double lr, double reg)
    {
        for (var k = 0; k < t.Count; k++)
        {
            var (u, i, r) = (t.UserIndex[k], t.ItemIndex[k], (double)t.Values[k]);
            var iu = Enumerable.Range(0, t.Count).Where(x => t.UserIndex[x] == u).Select(x => t.ItemIndex[x]).ToList();
            var sqrtIu = Math.Sqrt(iu.Count);
            var implicitFeedback = new double[f];
            foreach (var j in iu)
            {
                for (var c = 0; c < f; c++)
                {
                    implicitFeedback[c] += st.Y[(j * f) + c] / sqrtIu;
                }
            }

            double dot = 0;
            for (var c = 0; c < f; c++)
            {
                dot += st.Q[(i * f) + c] * (st.P[(u * f) + c] + implicitFeedback[c]);
            }

            var err = r - (t.GlobalMean + st.UserBias[u] + st.ItemBias[i] + dot);
            st.UserBias[u] += lr * (err - (reg * st.UserBias[u]));
            st.ItemBias[i] += lr * (err - (reg * st.ItemBias[i]));
            for (var c = 0; c < f; c++)
            {
                var puf = st.P[(u * f) + c];
                var qif = st.Q[(i * f) + c];
                st.P[(u * f) + c] += lr * ((err * qif) - (reg * puf));
                st.Q[(i * f) + c] += lr * ((err * (puf + implicitFeedback[c])) - (reg * qif));
                foreach (var j in iu)
                {
                    st.Y[(j * f) + c] += lr * ((err * qif / sqrtIu) - (reg * st.Y[(j * f) + c]));
                }
            }
        }
    }

    private static SvdPlusPlus.State Copy(SvdPlusPlus.State s) =>
        new((double[])s.UserBias.Clone(), (double[])s.ItemBias.Clone(), (double[])s.P.Clone(), (double[])s.Q.Clone(), (double[])s.Y.Clone());

    [Fact]
    public void TheLazyImplicitUpdateIsSurprisesRuleUpToRounding()
    {
        var trainset = Trainset.Build(TestData.SyntheticWithTitles(3).Ratings.Take(600).ToList(), new RatingScale(1, 5));
        var options = new SvdPlusPlusOptions { Factors = 5, Seed = 4, LearningRate = 0.01 };
        var algorithm = new SvdPlusPlus(options);
        var fast = algorithm.Initialize(trainset);
        var plain = Copy(fast);
        var starts = SvdPlusPlus.UserStarts(trainset);

        for (var epoch = 0; epoch < 3; epoch++)
        {
            SvdPlusPlus.RunEpoch(trainset, starts, fast, options.Factors, trainset.GlobalMean, options.LearningRate, options.Regularization);
            SurpriseEpoch(trainset, plain, options.Factors, options.LearningRate, options.Regularization);
        }

        foreach (var (a, b) in new[] { (fast.UserBias, plain.UserBias), (fast.ItemBias, plain.ItemBias), (fast.P, plain.P), (fast.Q, plain.Q), (fast.Y, plain.Y) })
        {
            for (var n = 0; n < a.Length; n++)
            {
                Assert.Equal(b[n], a[n], 1e-10);
            }
        }
    }

    [Fact]
    public void TheServedModelPredictsWhatTheImplicitFormulaGives()
    {
        var trainset = Trainset.Build(TestData.SyntheticWithTitles(5).Ratings, new RatingScale(1, 5));
        var model = new SvdPlusPlus(new SvdPlusPlusOptions { Factors = 6, Epochs = 4, Seed = 2 }).Fit(trainset);
        var again = new SvdPlusPlus(new SvdPlusPlusOptions { Factors = 6, Epochs = 4, Seed = 2 }).Fit(trainset);

        Assert.Equal(model.UserFactors, again.UserFactors);
        Assert.Equal(6, model.Factors);
        Assert.True(model.PredictsRatings);
        Assert.InRange(model.Predict(trainset.UserIndex[0], trainset.ItemIndex[0]).Value, 1f, 5f);
    }

    [RequiresMovieLens100kFact]
    public void OnU1ToU5TheMeanRmseIsSurprisesWithin0004()
    {
        // Surprise 1.1.4 SVDpp (defaults, random_state 0), measured here: u1..u5 0.9330 0.9234 0.9184 0.9168 0.9175, mean 0.9218.
        double[] surprise = [0.9330, 0.9234, 0.9184, 0.9168, 0.9175];
        var result = Evaluator.Evaluate(new SvdPlusPlus(new SvdPlusPlusOptions()),
            [.. Splits.MovieLensFolderSplits(TestPaths.MovieLens100k).Select(p => new Split(p.Name,
                RatingReaders.ReadTabSeparated(p.Train, RatingReaders.MovieLens100kScale), RatingReaders.ReadTabSeparated(p.Test, RatingReaders.MovieLens100kScale)))],
            RatingReaders.MovieLens100kScale);

        Assert.Equal(0.9218, MetricCatalog.Rmse.Summary(result).Mean, 0.004);
        for (var s = 0; s < 5; s++)
        {
            Assert.Equal(surprise[s], result.Folds[s].Rmse, 0.01);
        }
    }
}
