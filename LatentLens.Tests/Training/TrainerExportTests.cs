using System.Collections.Concurrent;
using System.Text;
using LatentLens.Api.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LatentLens.Tests.Training;

/// <summary>
/// The <c>train</c> command run as the app host runs the trainer (OTLP endpoint and service name in its
/// environment) exports its spans and epoch metrics; a real HTTP server on 127.0.0.1 stands where the
/// dashboard's OTLP receiver would and keeps what arrives.
/// </summary>
[Trait(TestCategories.Key, TestCategories.Slow)]
public sealed class TrainerExportTests
{
    [Fact]
    public async Task TrainSendsItsSpansAndEpochMetricsToTheOtlpEndpointItIsGiven()
    {
        var received = new ConcurrentDictionary<string, ConcurrentQueue<byte[]>>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        await using var receiver = builder.Build();
        receiver.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.GetOrAdd(signal, _ => new()).Enqueue(body.ToArray());
            return Results.Ok();
        });
        await receiver.StartAsync();
        var address = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var (exit, output, error) = await CliProcess.RunAsync(
            ["train", "--algorithm", "funksvd", "--factors", "4", "--epochs", "3", "--folds", "2", "--no-track"],
            new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = address,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_SERVICE_NAME"] = "trainer-under-test",
            },
            TestPaths.RepositoryRoot);

        Assert.True(exit == 0, output + error);
        string Text(string signal) => received.TryGetValue(signal, out var bodies) ? string.Concat(bodies.Select(Encoding.UTF8.GetString)) : string.Empty;
        var traces = Text("traces");
        var metrics = Text("metrics");
        // OTLP protobuf carries names as UTF-8 strings: the service, the source, the spans and the instruments.
        Assert.Contains("trainer-under-test", traces, StringComparison.Ordinal);
        Assert.Contains(TrainingTelemetry.Name, traces, StringComparison.Ordinal);
        Assert.Contains("evaluate", traces, StringComparison.Ordinal);
        Assert.Contains("epoch", traces, StringComparison.Ordinal);
        Assert.Contains("latentlens.training.train_rmse", metrics, StringComparison.Ordinal);
        Assert.Contains("latentlens.training.epochs", metrics, StringComparison.Ordinal);
        await receiver.StopAsync();
    }
}
