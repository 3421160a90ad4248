namespace LatentLens.Api;

public static class ApiServiceCollectionExtensions
{
    /// <summary>Registers the recommender's settings, validated at start-up so a bad value fails fast with its key.</summary>
    public static IHostApplicationBuilder AddRecommender(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LatentLensOptions>()
            .Bind(builder.Configuration.GetSection(LatentLensOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return builder;
    }
}
