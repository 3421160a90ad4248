using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// OpenTelemetry for a command-line run of a service's program (the app host's <c>trainer</c>): the
/// same OTLP export as <see cref="Extensions.ConfigureOpenTelemetry{TBuilder}"/> gives a web
/// service, without a host. Nothing is exported unless <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, as
/// the app host sets it for every resource it starts; the service name comes from
/// <c>OTEL_SERVICE_NAME</c>. Disposing the result flushes what is still buffered, so a short run
/// loses none of its spans or metric points.
/// </summary>
public static class CommandLineTelemetry
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Starts exporting the spans and metrics of <paramref name="sources"/> (activity source and meter names).</summary>
    /// <returns>What to dispose when the command ends; an empty disposable when there is no OTLP endpoint.</returns>
    public static IDisposable Start(params string[] sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EndpointVariable)))
        {
            return NoTelemetry.Instance;
        }

        var resource = ResourceBuilder.CreateDefault();
        var tracing = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(sources).AddOtlpExporter().Build();
        var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(sources).AddOtlpExporter().Build();
        return new Providers(tracing, metrics);
    }

    private sealed class Providers(TracerProvider tracing, MeterProvider metrics) : IDisposable
    {
        public void Dispose()
        {
            // Dispose flushes: the last epoch's points and the run's root span reach the dashboard.
            metrics.Dispose();
            tracing.Dispose();
        }
    }

    private sealed class NoTelemetry : IDisposable
    {
        public static readonly NoTelemetry Instance = new();

        public void Dispose()
        {
        }
    }
}
