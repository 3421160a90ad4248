using System.Text.Json;
using System.Text.Json.Nodes;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking;
using LatentLens.Api.Training;

namespace LatentLens.Api.Cli;

/// <summary><c>train --split users</c>: makes the user split from the data's ratings, runs <see cref="UserSplitPipeline"/>, prints its table (or JSON).</summary>
internal static class UserSplitRun
{
    public static int Run(ITrackingStore? store, TrainingRequest request, double holdout, ITrainingProgress progress, TextWriter stdout, bool json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(stdout);
        var split = UserSplit.Make(request.Data.Data.Ratings, holdout, 0.8, request.Grid.Seed);
        progress.Message(split.Description);
        var (_, results) = UserSplitPipeline.Run(store, request, split, progress, cancellationToken);
        if (json)
        {
            var array = new JsonArray();
            foreach (var result in results)
            {
                var metrics = new JsonObject();
                foreach (var m in MetricCatalog.UserSplit(request.K))
                {
                    var value = m.Value(result);
                    metrics[m.Key] = double.IsFinite(value) ? value : null;
                }

                metrics["fit_time_s"] = result.FitSeconds;
                array.Add(new JsonObject { ["configuration"] = result.Evaluation.DisplayName, ["algorithm"] = result.Evaluation.Algorithm, ["metrics"] = metrics });
            }

            stdout.WriteLine(new JsonObject { ["dataset"] = request.Data.Data.Name, ["split"] = split.Description, ["results"] = array }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            stdout.WriteLine();
            stdout.Write(UserSplitTable.Render(results, request.K, split.Description));
        }

        return 0;
    }
}
