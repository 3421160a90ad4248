using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace LatentLens.Api.Tracking.Server;

/// <summary>A call to an MLflow tracking server that failed: the message names the server and the call.</summary>
internal sealed class TrackingServerException : InvalidOperationException
{
    public TrackingServerException(string message, string? errorCode = null, int? status = null, Exception? inner = null, bool transient = false)
        : base(message, inner)
    {
        ErrorCode = errorCode;
        Status = status;
        IsTransient = transient;
    }

    public TrackingServerException()
    {
    }

    public TrackingServerException(string message)
        : base(message)
    {
    }

    public TrackingServerException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>MLflow's <c>error_code</c> (e.g. <c>RESOURCE_DOES_NOT_EXIST</c>), when the server answered one.</summary>
    public string? ErrorCode { get; }

    /// <summary>The HTTP status, when the server answered.</summary>
    public int? Status { get; }

    /// <summary>MLflow said the thing does not exist. A bare 404 (a wrong URL, a proxy's page) is an error, not "missing".</summary>
    public bool IsNotFound => ErrorCode == "RESOURCE_DOES_NOT_EXIST";

    public bool IsAlreadyExists => ErrorCode == "RESOURCE_ALREADY_EXISTS";

    /// <summary>No answer, a time-out, 429 or 5xx: the server may or may not have acted on the call.</summary>
    public bool IsTransient { get; }
}

/// <summary>
/// How to reach a tracking server, with MLflow's own client conventions: <c>MLFLOW_TRACKING_TOKEN</c>
/// (bearer) or <c>MLFLOW_TRACKING_USERNAME</c>/<c>MLFLOW_TRACKING_PASSWORD</c> (basic),
/// <c>MLFLOW_TRACKING_INSECURE_TLS</c>, <c>MLFLOW_HTTP_REQUEST_MAX_RETRIES</c> and
/// <c>MLFLOW_HTTP_REQUEST_TIMEOUT</c> (seconds per attempt).
/// </summary>
internal sealed record MlflowServerSettings(Uri BaseUri)
{
    public string? Token { get; init; }

    public string? Username { get; init; }

    public string? Password { get; init; }

    public bool InsecureTls { get; init; }

    /// <summary>Retries after the first attempt, on connection errors, timeouts, 429 and 5xx.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first retry's delay; each next one doubles (with jitter).</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The bound on one call, retries included.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public static MlflowServerSettings FromEnvironment(Uri baseUri, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => environment(name) is { Length: > 0 } value ? value : null;
        var settings = new MlflowServerSettings(baseUri)
        {
            Token = Get("MLFLOW_TRACKING_TOKEN"),
            Username = Get("MLFLOW_TRACKING_USERNAME"),
            Password = Get("MLFLOW_TRACKING_PASSWORD"),
            InsecureTls = Get("MLFLOW_TRACKING_INSECURE_TLS") is { } insecure && (insecure.Equals("true", StringComparison.OrdinalIgnoreCase) || insecure == "1"),
        };
        if (Get("MLFLOW_HTTP_REQUEST_MAX_RETRIES") is { } retries && int.TryParse(retries, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r >= 0)
        {
            settings = settings with { MaxRetries = Math.Min(r, 10) };
        }

        if (Get("MLFLOW_HTTP_REQUEST_TIMEOUT") is { } timeout && double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t > 0)
        {
            settings = settings with { AttemptTimeout = TimeSpan.FromSeconds(t) };
        }

        return settings;
    }
}

/// <summary>
/// A small synchronous client of MLflow's REST API 2.0 and its artifact proxy. Every call is retried
/// with exponential backoff on connection errors, timeouts, 429 and 5xx (as MLflow's Python client
/// does), a bounded number of times within a bounded total time; a failure throws a
/// <see cref="TrackingServerException"/> that names the server and the call. Synchronous because
/// <see cref="ITrackingStore"/> is, and every caller runs it off the request path (CLI, the watcher).
/// </summary>
internal sealed class MlflowRestClient : IDisposable
{
    private const string ApiPrefix = "api/2.0/mlflow/";
    private const string ArtifactsPrefix = "api/2.0/mlflow-artifacts/artifacts/";
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ResiliencePipeline<HttpResponseMessage> _singleAttempt;
    private readonly MlflowServerSettings _settings;

    public MlflowRestClient(MlflowServerSettings settings, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        var baseUri = settings.BaseUri.AbsoluteUri.EndsWith('/') ? settings.BaseUri : new Uri(settings.BaseUri.AbsoluteUri + "/");
        if (handler is null)
        {
            var sockets = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            if (settings.InsecureTls)
            {
                sockets.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            }

            handler = sockets;
        }

        _http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
        if (settings.Token is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (settings.Username is { } user)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{settings.Password}")));
        }

        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddTimeout(settings.TotalTimeout)
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(settings.MaxRetries, 0),
                Delay = settings.FirstRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                MaxDelay = TimeSpan.FromSeconds(10),
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => IsTransient(r.StatusCode)),
            })
            .AddTimeout(settings.AttemptTimeout)
            .Build();
        _singleAttempt = new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(settings.AttemptTimeout).Build();
        // Named in messages and logs: without any user:password the URI may carry.
        Server = new UriBuilder(baseUri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri.TrimEnd('/');
    }

    /// <summary>The server, for messages.</summary>
    public string Server { get; }

    public void Dispose() => _http.Dispose();

    /// <summary>MLflow's Python client retries these too (429, 500, 502, 503, 504).</summary>
    private static bool IsTransient(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
        or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    public TResponse Get<TResponse>(string endpoint, IEnumerable<(string Key, string Value)> query, JsonTypeInfo<TResponse> responseType)
    {
        var path = ApiPrefix + endpoint + Query(query);
        return Parse(Send(HttpMethod.Get, path, null), $"GET /{ApiPrefix}{endpoint}", responseType);
    }

    /// <summary>GET that answers null where MLflow says <c>RESOURCE_DOES_NOT_EXIST</c>.</summary>
    public TResponse? GetOrNull<TResponse>(string endpoint, IEnumerable<(string Key, string Value)> query, JsonTypeInfo<TResponse> responseType)
        where TResponse : class
    {
        try
        {
            return Get(endpoint, query, responseType);
        }
        catch (TrackingServerException ex) when (ex.IsNotFound)
        {
            return null;
        }
    }

    public TResponse Post<TRequest, TResponse>(string endpoint, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType) =>
        Send(HttpMethod.Post, endpoint, request, requestType, responseType);

    /// <summary>A call with a JSON body (POST, or PATCH for <c>registered-models/update</c>).</summary>
    public TResponse Send<TRequest, TResponse>(HttpMethod method, string endpoint, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        return Parse(Send(method, ApiPrefix + endpoint, () => Json(body)), $"{method} /{ApiPrefix}{endpoint}", responseType);
    }

    /// <summary>
    /// A POST that must act once (<c>runs/create</c>, <c>model-versions/create</c>): a lost reply must not become a
    /// second run or version. So it is not retried blindly: after a transient failure (no answer, time-out, 429,
    /// 5xx) and the backoff, <paramref name="findExisting"/> looks for what the lost attempt may have made (a tag
    /// carrying a request id the caller generated, a version's run id) and returns it when found; only otherwise
    /// is the call sent again. Same bounds as every call: <see cref="MlflowServerSettings.MaxRetries"/> and
    /// <see cref="MlflowServerSettings.TotalTimeout"/>.
    /// </summary>
    public TResponse CreateOnce<TRequest, TResponse>(string endpoint, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, Func<TResponse?> findExisting)
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(findExisting);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        var call = $"POST /{ApiPrefix}{endpoint}";
        var clock = Stopwatch.StartNew();
        var delay = _settings.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Parse(Send(HttpMethod.Post, ApiPrefix + endpoint, () => Json(body), _singleAttempt), call, responseType);
            }
            catch (TrackingServerException ex) when (ex.IsTransient)
            {
                var last = attempt > _settings.MaxRetries || clock.Elapsed + delay >= _settings.TotalTimeout;
                if (!last)
                {
                    Thread.Sleep(delay);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }

                // Whether or not another attempt follows, the lost one may have acted: look before going on or giving up.
                if (TryFind(findExisting) is { } existing)
                {
                    return existing;
                }

                if (last)
                {
                    throw new TrackingServerException(
                        string.Create(CultureInfo.InvariantCulture, $"{ex.Message} ({attempt} attempt(s) of {call}; after each failure the server was searched for what a lost reply may have created, and nothing was found)"),
                        ex.ErrorCode, ex.Status, ex, transient: true);
                }
            }
        }
    }

    /// <summary>A look-up after a lost reply: a server still down answers "not known yet", not an error that ends the create.</summary>
    private static TResponse? TryFind<TResponse>(Func<TResponse?> findExisting)
        where TResponse : class
    {
        try
        {
            return findExisting();
        }
        catch (TrackingServerException ex) when (ex.IsTransient)
        {
            return null;
        }
    }

    /// <summary>Uploads one artifact through the proxy: <paramref name="proxyPath"/> is relative to the server's artifact root.</summary>
    public void Upload(string proxyPath, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        Send(HttpMethod.Put, ArtifactsPrefix + EscapePath(proxyPath), () => new ByteArrayContent(content));
    }

    /// <summary>Downloads one artifact through the proxy.</summary>
    public byte[] Download(string proxyPath) => Send(HttpMethod.Get, ArtifactsPrefix + EscapePath(proxyPath), null);

    /// <summary>Downloads one artifact of a run through <c>/get-artifact</c> (servers that do not proxy artifacts).</summary>
    public byte[] DownloadRunArtifact(string runId, string path) => Send(HttpMethod.Get, "get-artifact" + Query([("run_id", runId), ("path", path)]), null);

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static string Query(IEnumerable<(string Key, string Value)> query)
    {
        var parts = query.Select(q => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(q.Value)}").ToList();
        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }

    private TResponse Parse<TResponse>(byte[] body, string call, JsonTypeInfo<TResponse> type)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new TrackingServerException($"MLflow server {Server}: {call} answered malformed JSON ({ex.Message}): {Snippet(body)}", inner: ex);
        }
    }

    private static string Snippet(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).ReplaceLineEndings(" ");
        return body.Length > 300 ? text + "…" : text;
    }

    /// <summary>Sends with retries and answers the body of a success; anything else throws, naming the server and the call.</summary>
    private byte[] Send(HttpMethod method, string pathAndQuery, Func<HttpContent>? content, ResiliencePipeline<HttpResponseMessage>? pipeline = null)
    {
        var call = $"{method} /{pathAndQuery.Split('?')[0]}";
        var attempts = 0;
        var clock = Stopwatch.StartNew();
        HttpResponseMessage response;
        try
        {
            response = (pipeline ?? _pipeline).Execute(
                token =>
                {
                    attempts++;
                    using var request = new HttpRequestMessage(method, pathAndQuery) { Content = content?.Invoke() };
                    return _http.Send(request, HttpCompletionOption.ResponseContentRead, token);
                },
                CancellationToken.None);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or TaskCanceledException)
        {
            var why = ex is TimeoutRejectedException or TaskCanceledException ? $"no answer in time ({ex.Message})" : ex.InnerException?.Message ?? ex.Message;
            throw new TrackingServerException(
                string.Create(CultureInfo.InvariantCulture, $"MLflow server {Server} is unreachable: {call} failed after {attempts} attempt(s) in {clock.Elapsed.TotalSeconds:F1} s: {why}"), inner: ex, transient: true);
        }

        using (response)
        {
            var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            if (response.IsSuccessStatusCode)
            {
                return body;
            }

            MlflowError? error = null;
            try
            {
                error = JsonSerializer.Deserialize(body, MlflowJson.Default.MlflowError);
            }
            catch (JsonException)
            {
                // Not MLflow's error shape (a proxy's page, say): the raw text is shown instead.
            }

            var status = (int)response.StatusCode;
            var detail = error?.ErrorCode is { } code ? $"{code}: {error.Message}" : $"{Snippet(body)} (not MLflow's error format: is {Server} an MLflow tracking server?)";
            var tries = attempts > 1 ? $" after {attempts} attempts" : string.Empty;
            throw new TrackingServerException(
                string.Create(CultureInfo.InvariantCulture, $"MLflow server {Server}: {call} failed{tries}: HTTP {status} {response.ReasonPhrase}: {detail}"),
                error?.ErrorCode, status, transient: IsTransient(response.StatusCode));
        }
    }
}
