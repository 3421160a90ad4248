using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The standard Aspire service defaults: OpenTelemetry over OTLP, health checks, service
/// discovery and resilient HttpClients. Every service of LatentLens calls
/// <see cref="AddServiceDefaults{TBuilder}"/> once and <see cref="MapDefaultEndpoints"/> once.
/// </summary>
public static class Extensions
{
    /// <summary>The health endpoint that answers exactly <c>{"status":"ok"}</c> while the process is live.</summary>
    public const string HealthEndpointPath = "/health";

    /// <summary>The liveness endpoint (plain text, as in the Aspire templates).</summary>
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>The readiness endpoint: 200 once every check tagged <see cref="ReadyTag"/> is healthy, else 503.</summary>
    public const string ReadinessEndpointPath = "/ready";

    /// <summary>Tag of the health checks that say the process is live.</summary>
    public const string LiveTag = "live";

    /// <summary>Tag of the health checks that say the service can answer requests (e.g. a model is loaded).</summary>
    public const string ReadyTag = "ready";

    private static readonly byte[] OkBody = """{"status":"ok"}"""u8.ToArray();
    private static readonly byte[] UnhealthyBody = """{"status":"unhealthy"}"""u8.ToArray();

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, params string[] extraMeters)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.ConfigureOpenTelemetry(extraMeters);
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder, params string[] extraSources)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                foreach (var meter in extraSources)
                {
                    metrics.AddMeter(meter);
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(builder.Environment.ApplicationName)
                    .AddAspNetCoreInstrumentation(options =>
                        // Health probes run every few seconds; tracing them buries real requests.
                        options.Filter = context =>
                            !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                            && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                            && !context.Request.Path.StartsWithSegments(ReadinessEndpointPath))
                    .AddHttpClientInstrumentation();
                foreach (var source in extraSources)
                {
                    tracing.AddSource(source);
                }
            });

        // The app host sets OTEL_EXPORTER_OTLP_ENDPOINT to the dashboard; without it nothing is exported.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (exact JSON body, every environment: the compose deployment and the
    /// dashboard both probe it) and <c>/alive</c>.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
            ResponseWriter = WriteStatusJson,
        });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag),
        });
        app.MapHealthChecks(ReadinessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReadinessJson,
        });

        return app;
    }

    private static Task WriteReadinessJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status == HealthStatus.Healthy ? "ready" : "not ready",
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => e.Value.Description ?? e.Value.Status.ToString()),
        };
        return context.Response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(body), context.RequestAborted);
    }

    private static Task WriteStatusJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = report.Status == HealthStatus.Unhealthy ? UnhealthyBody : OkBody;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
