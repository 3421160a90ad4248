using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LatentLens.Api.Apis;

/// <summary>The ProblemDetails every endpoint answers with, and the validation of route and query values.</summary>
internal static class ApiProblems
{
    public const int MaxK = 1000;

    public static ProblemHttpResult NoModel() => TypedResults.Problem(
        title: "No model is loaded",
        detail: "The API has no model to serve yet: train one (dotnet run --project LatentLens.Api -- train --register) or wait for the store to have a champion.",
        statusCode: StatusCodes.Status503ServiceUnavailable);

    public static ProblemHttpResult UnknownUser(string userId) => TypedResults.Problem(
        title: "Unknown user", detail: $"User '{userId}' is not in the model's training data.", statusCode: StatusCodes.Status404NotFound,
        extensions: new Dictionary<string, object?> { ["userId"] = userId });

    public static ProblemHttpResult UnknownItem(string itemId) => TypedResults.Problem(
        title: "Unknown item", detail: $"Item '{itemId}' is not in the model's training data.", statusCode: StatusCodes.Status404NotFound,
        extensions: new Dictionary<string, object?> { ["itemId"] = itemId });

    public static ProblemHttpResult NoRatingPredictions(string algorithm) => TypedResults.Problem(
        title: "The model does not predict ratings",
        detail: $"The model being served ({algorithm}) ranks items but does not predict ratings; ask for recommendations instead, or promote a rating model.",
        statusCode: StatusCodes.Status409Conflict);

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: $"Invalid {field}");

    /// <summary>Ids are whole numbers (MovieLens ids); the canonical form is how the model stores them.</summary>
    public static bool TryId(string? raw, out string id)
    {
        id = string.Empty;
        if (raw is null || !long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        id = value.ToString(CultureInfo.InvariantCulture);
        return true;
    }

    public static bool TryK(string? raw, int fallback, out int k)
    {
        k = fallback;
        return raw is null || (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out k) && k is >= 1 and <= MaxK);
    }
}
