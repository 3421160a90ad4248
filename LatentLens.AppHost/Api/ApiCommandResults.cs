using System.Net;
using System.Text.Json;

namespace LatentLens.AppHost.Api;

/// <summary>Turns the API's admin answers into what the dashboard shows after a command: its message, or the problem's detail.</summary>
internal static class ApiCommandResults
{
    public static async Task<ExecuteCommandResult> FromResponseAsync(HttpCommandResultContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = await context.Response.Content.ReadAsStringAsync(context.CancellationToken);
        return From(context.Response.StatusCode, body);
    }

    /// <summary>A 2xx answer's <c>message</c>, or a ProblemDetails' <c>detail</c> (else its title, else the status).</summary>
    public static ExecuteCommandResult From(HttpStatusCode status, string body)
    {
        string? Read(string property)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()
                    : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        var code = (int)status;
        return code is >= 200 and < 300
            ? CommandResults.Success(Read("message") ?? $"HTTP {code}")
            : CommandResults.Failure(Read("detail") ?? Read("title") ?? $"HTTP {code} {status}");
    }
}
