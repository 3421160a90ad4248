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

    /// <summary>One configuration: parameters, every fold, mean and standard deviation (the run's evaluation report).</summary>
    public static JsonObject Result(EvaluationResult r)
    {
        var k = r.K.ToString(CultureInfo.InvariantCulture);
        JsonObject Metrics(Func<MeanStd, double> pick) => new()
        {
            ["rmse"] = pick(r.Rmse),
            ["mae"] = pick(r.Mae),
            [$"precision_at_{k}"] = pick(r.PrecisionAtK),
            [$"recall_at_{k}"] = pick(r.RecallAtK),
            [$"ndcg_at_{k}"] = pick(r.NdcgAtK),
            ["fit_time_s"] = pick(r.FitSeconds),
            ["test_time_s"] = pick(r.TestSeconds),
        };

        var folds = new JsonArray();
        foreach (var f in r.Folds)
        {
            folds.Add(new JsonObject
            {
                ["name"] = f.Name,
                ["train_ratings"] = f.TrainCount,
                ["test_ratings"] = f.TestCount,
                ["rmse"] = f.Rmse,
                ["mae"] = f.Mae,
                [$"precision_at_{k}"] = f.PrecisionAtK,
                [$"recall_at_{k}"] = f.RecallAtK,
                [$"ndcg_at_{k}"] = f.NdcgAtK,
                ["fit_time_s"] = f.FitSeconds,
                ["test_time_s"] = f.TestSeconds,
                ["train_rmse"] = new JsonArray([.. f.Epochs.Select(e => (JsonNode?)JsonValue.Create(e.TrainRmse))]),
            });
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
            ["folds"] = folds,
            ["mean"] = Metrics(m => m.Mean),
            ["std"] = Metrics(m => m.Std),
        };
    }
}

