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

    public static ProblemHttpResult NoFoldIn(string algorithm) => TypedResults.Problem(
        title: "The model cannot fold in a history",
        detail: $"The model being served ({algorithm}) has no fold-in yet, so it cannot recommend from ratings given with the request or filter a trained user's list; promote a model of a family that has one (docs/api.md, \"Fold-in\").",
        statusCode: StatusCodes.Status409Conflict);

    public static ProblemHttpResult NoTrainingRatings(string algorithm) => TypedResults.Problem(
        title: "The model did not save its training ratings",
        detail: $"The model being served ({algorithm}) folds in rating values, but its artifact was written before LatentLens saved each user's training ratings, so fresh ratings cannot be added to a known user's history. Retrain the model, or POST /recommendations with the whole history.",
        statusCode: StatusCodes.Status409Conflict);

    public static ProblemHttpResult TooMany(string field, string message) => TypedResults.Problem(
        title: "The request is too large", detail: message, statusCode: StatusCodes.Status413PayloadTooLarge,
        extensions: new Dictionary<string, object?> { ["field"] = field });

    public static ProblemHttpResult BodyTooLarge(long limit) => TypedResults.Problem(
        title: "The body is too large",
        detail: $"The body is larger than {limit} bytes; send smaller batches.",
        statusCode: StatusCodes.Status413PayloadTooLarge);

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: $"Invalid {field}");

    /// <summary>Ids are whole numbers (MovieLens ids); the canonical form is how the model stores them.</summary>
    public static bool TryId(string? raw, out string id)
    {
        id = string.Empty;
        if (!IsDigits(raw) || !long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        id = value.ToString(CultureInfo.InvariantCulture);
        return true;
    }

    public static bool TryK(string? raw, int fallback, out int k)
    {
        k = fallback;
        return raw is null || (IsDigits(raw) && int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out k) && k is >= 1 and <= MaxK);
    }

    /// <summary>Exactly <c>true</c> or <c>false</c> (any case): bool.TryParse would also take padding and trailing NULs.</summary>
    public static bool TryBool(string raw, out bool value)
    {
        value = string.Equals(raw, bool.TrueString, StringComparison.OrdinalIgnoreCase);
        return value || string.Equals(raw, bool.FalseString, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A plain decimal number (sign, digits, point, exponent): double.TryParse would also take padding and trailing NULs.</summary>
    public static bool TryNumber(string raw, out double value)
    {
        value = 0;
        return raw.Length > 0 && raw.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-')
            && double.TryParse(raw, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value);
    }

    // .NET's integer parsing accepts trailing NULs ("5\0" is 5); a value is a number only if every character is a digit.
    private static bool IsDigits([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? raw) => !string.IsNullOrEmpty(raw) && raw.All(char.IsAsciiDigit);
}
