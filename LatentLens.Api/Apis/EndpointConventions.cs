namespace LatentLens.Api.Apis;

internal static class EndpointConventions
{
    /// <summary>
    /// Maps a GET endpoint and answers HEAD on the same route like GET (Kestrel sends no body for HEAD).
    /// The HEAD twin stays out of the OpenAPI document and unnamed: names and operation ids are unique.
    /// </summary>
    public static RouteHandlerBuilder MapGetAndHead(this IEndpointRouteBuilder app, string pattern, Delegate handler)
    {
        app.MapMethods(pattern, [HttpMethods.Head], handler).ExcludeFromDescription();
        return app.MapGet(pattern, handler);
    }
}
