using LatentLens.Api.Apis;
using LatentLens.Api.Serving;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.FileStore;
using Microsoft.Extensions.Options;

namespace LatentLens.Api;

internal static class ApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers the recommender: settings (validated at start-up, so a bad value fails fast with its
    /// key), the model store with its watcher, and the readiness check that says a model is loaded.
    /// </summary>
    public static IHostApplicationBuilder AddRecommender(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<LatentLensOptions>()
            .Bind(builder.Configuration.GetSection(LatentLensOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ITrackingStore>(services => new MlflowStore(services.GetRequiredService<IOptions<LatentLensOptions>>().Value.MlrunsFullPath));
        builder.Services.AddSingleton<ModelStore>();
        builder.Services.AddHostedService<ModelWatcher>();
        builder.Services.AddHealthChecks().AddCheck<ModelReadyHealthCheck>("model", tags: [Microsoft.Extensions.Hosting.Extensions.ReadyTag]);
        return builder;
    }

    /// <summary>Maps the recommender's endpoints; the admin ones only when configuration turns them on.</summary>
    public static WebApplication MapRecommenderApis(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapModelApi();
        app.MapRecommendationsApi();
        app.MapItemsApi();
        if (app.Services.GetRequiredService<IOptions<LatentLensOptions>>().Value.EnableAdminEndpoints)
        {
            app.MapAdminApi();
        }

        return app;
    }
}
