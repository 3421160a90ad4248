namespace LatentLens.AppHost.Api;

/// <summary>Dashboard links to pages of an endpoint.</summary>
internal static class ResourceUrlExtensions
{
    /// <summary>Adds a link to <paramref name="path"/> on the endpoint, shown as <paramref name="displayText"/>.</summary>
    public static IResourceBuilder<T> WithEndpointPageUrl<T>(this IResourceBuilder<T> builder, string endpointName, string path, string displayText)
        where T : IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithUrls(context =>
        {
            var endpoint = context.Urls.FirstOrDefault(u => u.Endpoint?.EndpointName == endpointName);
            if (endpoint is not null)
            {
                context.Urls.Add(new ResourceUrlAnnotation { Url = endpoint.Url.TrimEnd('/') + path, DisplayText = displayText, Endpoint = endpoint.Endpoint });
            }
        });
    }
}
