using System.Net;
using Microsoft.AspNetCore.Hosting;
using LatentLens.Api;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LatentLens.Tests.Api;

public sealed class HealthEndpointTests
{
    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task HealthAnswersExactlyStatusOkInEveryEnvironment(string environment)
    {
        await using var factory = new WebApplicationFactory<ApiEntryPoint>()
            .WithWebHostBuilder(b => b.UseEnvironment(environment));
        using var client = factory.CreateClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var response = await client.GetAsync("/health", cts.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync(cts.Token));
    }

    [Fact]
    public async Task UnknownPathAnswersProblemDetails()
    {
        await using var factory = new WebApplicationFactory<ApiEntryPoint>();
        using var client = factory.CreateClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var response = await client.GetAsync("/no-such-thing", cts.Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
