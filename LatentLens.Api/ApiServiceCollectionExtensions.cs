using LatentLens.Api.Apis;
using LatentLens.Api.Serving;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Stores;
using Microsoft.Extensions.Options;

namespace LatentLens.Api;

internal static class ApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers the recommender: settings (validated at start-up, so a bad value fails fast with its
    /// key), the served model with its watcher, and the readiness check that says a model is loaded.
    /// </summary>
    public static IHostApplicationBuilder AddRecommender(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<LatentLensOptions>()
            .Bind(builder.Configuration.GetSection(LatentLensOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
        // One rule with the command line: LatentLens:TrackingUri, else MLFLOW_TRACKING_URI, else the file store LatentLens:MlrunsPath.
        var configuration = builder.Configuration;
        builder.Services.AddSingleton<ITrackingStore>(services =>
        {
            var options = services.GetRequiredService<IOptions<LatentLensOptions>>().Value;
            var uri = TrackingStoreFactory.ChooseUri(options.TrackingUri, key => configuration[key], options.GetMlrunsFullPath())!;
            return TrackingStoreFactory.Open(uri, options.ModelCachePath);
        });
        builder.Services.AddSingleton<ServedModel>();
        builder.Services.AddHostedService<ModelWatcher>();
        builder.Services.AddHealthChecks().AddCheck<ModelReadyHealthCheck>("model", tags: [Microsoft.Extensions.Hosting.Extensions.ReadyTag]);
        return builder;
    }

    /// <summary>The API's port when it is run on its own (<c>dotnet run --project LatentLens.Api</c>).</summary>
    public const string DefaultUrl = "http://localhost:8000";

    /// <summary>
    /// Listens on <see cref="DefaultUrl"/> unless the environment says where (<c>ASPNETCORE_URLS</c> from
    /// the app host, <c>ASPNETCORE_HTTP_PORTS</c> from the Dockerfile, <c>--urls</c>). This replaces a
    /// launch profile: <c>dotnet run</c> prints "Using launch settings from ..." on stdout before the
    /// program starts, which would break the JSON that <c>train --json</c> prints there.
    /// </summary>
    public static WebApplicationBuilder UseDefaultUrl(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (new[] { "urls", "http_ports", "https_ports" }.All(key => string.IsNullOrEmpty(builder.Configuration[key])))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        return builder;
    }

    /// <summary>Maps the recommender's endpoints; the admin ones only when configuration turns them on.</summary>
    public static WebApplication MapRecommenderApis(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapModelApi();
        app.MapRecommendationsApi();
        app.MapFoldInApi();
        app.MapItemsApi();
        if (app.Services.GetRequiredService<IOptions<LatentLensOptions>>().Value.EnableAdminEndpoints)
        {
            app.MapAdminApi();
        }

        return app;
    }
}
