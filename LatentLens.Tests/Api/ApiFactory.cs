using LatentLens.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LatentLens.Tests.Api;

/// <summary>The API in memory over a given store.</summary>
internal sealed class ApiFactory(string mlruns, bool admin = false, double reloadSeconds = 60) : WebApplicationFactory<ApiEntryPoint>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("LatentLens:MlrunsPath", mlruns);
        builder.UseSetting("LatentLens:EnableAdminEndpoints", admin ? "true" : "false");
        builder.UseSetting("LatentLens:ReloadIntervalSeconds", reloadSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A client once the first model is loaded (or the watcher's first look found none).</summary>
    public async Task<HttpClient> ReadyClientAsync(bool expectModel = true)
    {
        var client = CreateClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (expectModel)
        {
            using var response = await client.GetAsync("/ready", cts.Token);
            if (response.IsSuccessStatusCode)
            {
                break;
            }

            await Task.Delay(50, cts.Token);
        }

        return client;
    }
}
