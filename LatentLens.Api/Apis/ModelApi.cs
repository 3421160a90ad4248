using LatentLens.Api.Serving;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LatentLens.Api.Apis;

internal static class ModelApi
{
    public static RouteGroupBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/model").WithTags("Model");
        group.MapGetAndHead("/", GetModel).WithName("GetModel").WithSummary("The model being served: run, registered version and alias, algorithm, params, metrics, size; chosenBy says which rule chose it (champion, newest valid version, best run by rmse) fallbackReason why the earlier rules did not apply, genres the names the genres filter takes (absent: the model carries none), foldIn whether it serves histories (POST /recommendations), and rejected which model the rules chose first but could not serve (a broken champion leaves the loaded model serving).");
        return group;
    }

    public static Results<Ok<ModelInfoResponse>, ProblemHttpResult> GetModel(ServedModel served)
    {
        if (served.Current is not { } loaded)
        {
            return ApiProblems.NoModel();
        }

        var m = loaded.Model;
        var o = loaded.Origin;
        return TypedResults.Ok(new ModelInfoResponse(o.RunId, o.RunName, o.ExperimentId, o.RegisteredModel, o.Version, o.Alias, m.Algorithm, m.Factors,
            o.Params, o.Metrics.Where(p => double.IsFinite(p.Value)).ToDictionary(), loaded.Saved.TrainedAt, loaded.LoadedAt, m.Users.Count, m.Items.Count, [m.Scale.Min, m.Scale.Max], m.PredictsRatings,
            o.ChosenBy, o.FallbackReason,
            served.Rejection is { } r ? new RejectedModelInfo(r.Origin?.Version, r.Origin?.RunId, r.Origin?.RunName, r.Reason) : null)
        {
            Genres = loaded.Saved.Genres?.Names,
            FoldIn = loaded.FoldIn is not null,
        });
    }
}
