namespace LatentLens.Api;

/// <summary>
/// Names this assembly for <c>WebApplicationFactory&lt;ApiEntryPoint&gt;</c>. The top-level
/// <c>Program</c> cannot serve: the app host's generated <c>Program</c> has the same global name.
/// </summary>
internal sealed class ApiEntryPoint
{
    private ApiEntryPoint()
    {
    }
}
