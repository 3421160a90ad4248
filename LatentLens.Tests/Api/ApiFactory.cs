using LatentLens.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LatentLens.Tests.Api;

/// <summary>The API in memory over a given store.</summary>
internal sealed class ApiFactory(string mlruns, bool admin = false, double reloadSeconds = 60, string? trackingUri = null, double? reloadTimeoutSeconds = null)
    : WebApplicationFactory<ApiEntryPoint>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("LatentLens:MlrunsPath", mlruns);
        if (trackingUri is not null)
        {
            builder.UseSetting("LatentLens:TrackingUri", trackingUri);
            builder.UseSetting("LatentLens:ModelCachePath", Path.Combine(mlruns, "model-cache"));
        }

        if (reloadTimeoutSeconds is { } timeout)
        {
            builder.UseSetting("LatentLens:ReloadTimeoutSeconds", timeout.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        builder.UseSetting("LatentLens:EnableAdminEndpoints", admin ? "true" : "false");
        builder.UseSetting("LatentLens:ReloadIntervalSeconds", reloadSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A client once the first model is loaded (or the watcher's first look found none).</summary>
    public async Task<HttpClient> ReadyClientAsync(bool expectModel = true)
    {
        var client = CreateClient();
        if (expectModel)
        {
            await Eventually.TrueAsync(
                async token =>
                {
                    using var response = await client.GetAsync("/ready", token);
                    return response.IsSuccessStatusCode;
                },
                "/ready answers 200 (a model is loaded)",
                TimeSpan.FromSeconds(30));
        }

        return client;
    }
}
