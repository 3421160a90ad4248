using System.Globalization;
using System.Text.Json.Nodes;

namespace LatentLens.Api.Recommender.Evaluation;

/// <summary>Evaluation results as JSON: the command line's <c>--json</c> and each run's evaluation report.</summary>
internal static class EvaluationJson
{
    /// <summary>The results of several configurations on one data set, as <c>train --json</c> prints them.</summary>
    public static JsonObject Summary(string dataset, string split, IReadOnlyList<EvaluationResult> results)
    {
        var array = new JsonArray();
        foreach (var r in results)
        {
            array.Add(Result(r));
        }

        return new JsonObject { ["dataset"] = dataset, ["split"] = split, ["results"] = array };
    }

    /// <summary>One configuration: parameters, every fold, mean and standard deviation (the run's evaluation report). A metric that does not apply is null.</summary>
    public static JsonObject Result(EvaluationResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var metrics = MetricCatalog.For(r.K);
        JsonObject Metrics(Func<MeanStd, double> pick)
        {
            var o = new JsonObject();
            foreach (var m in metrics)
            {
                o[m.Key] = Number(pick(m.Summary(r)));
            }

            return o;
        }

        var folds = new JsonArray();
        foreach (var f in r.Folds)
        {
            var fold = new JsonObject
            {
                ["name"] = f.Name,
                ["train_ratings"] = f.TrainCount,
                ["test_ratings"] = f.TestCount,
                ["ranking_users"] = f.Ranking.Users,
            };
            foreach (var m in metrics)
            {
                fold[m.Key] = Number(m.Fold(f));
            }

            fold["train_rmse"] = new JsonArray([.. f.Epochs.Select(e => Number(e.TrainRmse))]);
            if (f.Epochs.Count > 0 && f.Epochs.All(e => double.IsFinite(e.TestRmse)))
            {
                // bpmf: the test RMSE of the running posterior mean, per sample.
                fold["test_rmse"] = new JsonArray([.. f.Epochs.Select(e => Number(e.TestRmse))]);
            }
            folds.Add(fold);
        }

        var parameters = new JsonObject();
        foreach (var (key, value) in r.Parameters)
        {
            parameters[key] = value;
        }

        return new JsonObject
        {
            ["algorithm"] = r.Algorithm,
            ["name"] = r.DisplayName,
            ["parameters"] = parameters,
            ["k"] = r.K,
            ["relevance_threshold"] = r.Threshold,
            ["predicts_ratings"] = r.PredictsRatings,
            ["folds"] = folds,
            ["mean"] = Metrics(m => m.Mean),
            ["std"] = Metrics(m => m.Std),
        };
    }

    /// <summary>JSON has no NaN: a metric that does not apply is null.</summary>
    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;
}
