using LatentLens.Api.Serving;
using LatentLens.Api.Tracking;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LatentLens.Api.Apis;

/// <summary>What the dashboard's commands call. Mapped only when LatentLens:EnableAdminEndpoints is true.</summary>
public static class AdminApi
{
    private static readonly SemaphoreSlim TrainingGate = new(1, 1);

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin").WithTags("Admin");
        group.MapPost("/reload", Reload).WithName("ReloadModel").WithSummary("Reload the champion from the MLflow store now.");
        group.MapPost("/train", TrainAsync).WithName("TrainModel").WithSummary("Train FunkSvd on the bundled data, record and register the run, promote it when better.");
        return group;
    }

    public static Results<Ok<AdminResponse>, ProblemHttpResult> Reload(ModelStore store)
    {
        var result = store.Reload(force: true);
        return result.Ready
            ? TypedResults.Ok(new AdminResponse(true, result.Message, result.Origin?.RunId, result.Origin?.Version))
            : TypedResults.Problem(title: "No model loaded", detail: result.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public static async Task<Results<Ok<AdminResponse>, ProblemHttpResult>> TrainAsync(ModelStore store, ILogger<ModelStore> logger, CancellationToken cancellationToken)
    {
        if (!await TrainingGate.WaitAsync(0, cancellationToken))
        {
            return TypedResults.Problem(title: "Training is already running", statusCode: StatusCodes.Status409Conflict);
        }

        try
        {
            var result = await Task.Run(() => DefaultTraining.Run(store.Mlruns, cancellationToken: cancellationToken), cancellationToken);
            var outcome = result.Promotion.Moved && result.Promotion.RunId == result.RunId
                ? $"moved to version {result.Version}"
                : $"stays at version {result.Promotion.Version}";
            Log.TrainingFinished(logger, result.RunId, result.Rmse, outcome);
            store.Reload();
            return TypedResults.Ok(new AdminResponse(true,
                FormattableString.Invariant($"Trained {result.RunName} (run {result.RunId}, RMSE {result.Rmse:F4}), registered as version {result.Version}; champion {outcome}."),
                result.RunId, result.Version));
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or Recommender.Data.DataFormatException)
        {
            return TypedResults.Problem(title: "Training failed", detail: ex.Message, statusCode: StatusCodes.Status500InternalServerError);
        }
        finally
        {
            TrainingGate.Release();
        }
    }
}
