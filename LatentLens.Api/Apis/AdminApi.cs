using LatentLens.Api.Serving;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LatentLens.Api.Apis;

/// <summary>
/// What the dashboard's "Reload model" command calls. Mapped only when LatentLens:EnableAdminEndpoints is true.
/// Training is not here: the app host's <c>trainer</c> resource trains in its own process, so it
/// never takes the cores that serve requests and the API needs no write access to the store.
/// </summary>
internal static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        // The paths are the ones the app host's dashboard commands call, defined once for both.
        var group = app.MapGroup(string.Empty).WithTags("Admin");
        group.MapPost(LatentLensConventions.ReloadPath, Reload).WithName("ReloadModel").WithSummary("Reload the champion from the MLflow store now.");
        return group;
    }

    public static async Task<Results<Ok<AdminResponse>, ProblemHttpResult>> Reload(ServedModel served, IOptions<LatentLensOptions> options, CancellationToken cancellationToken)
    {
        var result = await served.ReloadWithinAsync(TimeSpan.FromSeconds(options.Value.ReloadTimeoutSeconds), force: true, cancellationToken);
        if (result.StoreFailed)
        {
            return TypedResults.Problem(
                title: "Model store unavailable", detail: result.Message, statusCode: StatusCodes.Status503ServiceUnavailable,
                extensions: new Dictionary<string, object?> { ["servingRunId"] = result.Origin?.RunId, ["servingVersion"] = result.Origin?.Version });
        }

        return result.Ready
            ? TypedResults.Ok(new AdminResponse(true, result.Message, result.Origin?.RunId, result.Origin?.Version))
            : TypedResults.Problem(title: "No model loaded", detail: result.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
