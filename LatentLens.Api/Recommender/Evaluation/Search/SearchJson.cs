using System.Text.Json.Nodes;

namespace LatentLens.Api.Recommender.Evaluation.Search;

/// <summary><c>train --search --json</c>: the usual results (the chosen setting of each algorithm on the test set), each with what its search tried.</summary>
internal static class SearchJson
{
    /// <param name="searches">Per result, its search; null for an algorithm that had nothing to search (trained once).</param>
    public static JsonObject Summary(string dataset, string split, string validation, IReadOnlyList<EvaluationResult> results, IReadOnlyList<SearchResult?> searches)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(searches);
        var summary = EvaluationJson.Summary(dataset, split, results);
        summary["validation"] = validation;
        var array = summary["results"]!.AsArray();
        for (var n = 0; n < results.Count; n++)
        {
            array[n]!["search"] = searches[n] is { } search ? Search(search) : null;
        }

        return summary;
    }

    public static JsonObject Search(SearchResult search)
    {
        ArgumentNullException.ThrowIfNull(search);
        var trials = new JsonArray();
        foreach (var t in search.Trials)
        {
            trials.Add(new JsonObject
            {
                ["trial"] = t.Number,
                ["settings"] = SearchSpace.Describe(t.Settings),
                ["parameters"] = Parameters(t.Algorithm.Parameters),
                ["validation_" + search.Metric.Key] = double.IsFinite(t.Score) ? JsonValue.Create(t.Score) : null,
                ["failure"] = t.Failure,
                ["seconds"] = t.Seconds,
            });
        }

        return new JsonObject
        {
            ["metric"] = search.Metric.Key,
            ["ranges"] = SearchSpace.Describe(search.Algorithm),
            ["trials"] = search.Trials.Count,
            ["chosen_trial"] = search.Best.Number,
            ["chosen"] = SearchSpace.Describe(search.Best.Settings),
            ["chosen_parameters"] = Parameters(search.Best.Algorithm.Parameters),
            ["validation_" + search.Metric.Key] = double.IsFinite(search.Best.Score) ? JsonValue.Create(search.Best.Score) : null,
            ["search_seconds"] = search.Seconds,
            ["all_trials"] = trials,
        };
    }

    private static JsonObject Parameters(IReadOnlyDictionary<string, string> parameters)
    {
        var o = new JsonObject();
        foreach (var (key, value) in parameters)
        {
            o[key] = value;
        }

        return o;
    }
}
