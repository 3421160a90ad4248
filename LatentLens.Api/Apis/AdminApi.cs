using LatentLens.Api.Serving;
using LatentLens.Api.Tracking;
using LatentLens.Api.Training;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LatentLens.Api.Apis;

/// <summary>What the dashboard's commands call. Mapped only when LatentLens:EnableAdminEndpoints is true.</summary>
internal static class AdminApi
{
    private static readonly SemaphoreSlim TrainingGate = new(1, 1);

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        // The paths are the ones the app host's dashboard commands call, defined once for both.
        var group = app.MapGroup(string.Empty).WithTags("Admin");
        group.MapPost(LatentLensConventions.ReloadPath, Reload).WithName("ReloadModel").WithSummary("Reload the champion from the MLflow store now.");
        group.MapPost(LatentLensConventions.TrainPath, TrainAsync).WithName("TrainModel").WithSummary("Train FunkSvd on the bundled data, record and register the run, promote it when better.");
        return group;
    }

    public static Results<Ok<AdminResponse>, ProblemHttpResult> Reload(ModelStore store)
    {
        var result = store.Reload(force: true);
        return result.Ready
            ? TypedResults.Ok(new AdminResponse(true, result.Message, result.Origin?.RunId, result.Origin?.Version))
            : TypedResults.Problem(title: "No model loaded", detail: result.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public static async Task<Results<Ok<AdminResponse>, ProblemHttpResult>> TrainAsync(ModelStore store, ITrackingStore tracking, ILogger<ModelStore> logger, CancellationToken cancellationToken)
    {
        if (!await TrainingGate.WaitAsync(0, cancellationToken))
        {
            return TypedResults.Problem(title: "Training is already running", statusCode: StatusCodes.Status409Conflict);
        }

        try
        {
            var outcome = await Task.Run(() => TrainingPipeline.Run(tracking, TrainingPipeline.DefaultRequest(), cancellationToken: cancellationToken), cancellationToken);
            var (run, version) = outcome.Registered[0];
            var promotion = outcome.Promotion!;
            var rmse = run.Result.Rmse.Mean;
            var result = promotion.Moved && promotion.RunId == run.RunId
                ? $"moved to version {version}"
                : $"stays at version {promotion.Version}";
            Log.TrainingFinished(logger, run.RunId, rmse, result);
            store.Reload();
            return TypedResults.Ok(new AdminResponse(true,
                FormattableString.Invariant($"Trained {run.Name} (run {run.RunId}, RMSE {rmse:F4}), registered as version {version}; champion {result}."),
                run.RunId, version));
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
