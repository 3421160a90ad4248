using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Metadata;

namespace LatentLens.Api.Apis;

/// <summary>
/// Source-generated JSON metadata for every response: no reflection at start-up or per request. Registered
/// first in the HTTP JSON options' resolver chain, so the options stay ASP.NET Core's (Web defaults, its
/// relaxed encoder) and only where the metadata comes from changes; serialise with those options, not
/// with <c>ApiJsonContext.Default</c> (whose default encoder would escape ' as \u0027).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ModelInfoResponse))]
[JsonSerializable(typeof(RecommendationsResponse))]
[JsonSerializable(typeof(RecommendationRequest))]
[JsonSerializable(typeof(PredictionResponse))]
[JsonSerializable(typeof(PredictionBatchRequest))]
[JsonSerializable(typeof(PredictionBatchResponse))]
[JsonSerializable(typeof(SimilarItemsResponse))]
[JsonSerializable(typeof(ItemSearchResponse))]
[JsonSerializable(typeof(AdminResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>
/// A 200 answer whose JSON body was serialised before (and is kept, e.g. in a model's result cache): the
/// bytes are written as they are, with their length. In the OpenAPI document it is a 200 of
/// <typeparamref name="TValue"/>, as <c>Ok&lt;TValue&gt;</c> is.
/// </summary>
internal sealed class Utf8JsonOk<TValue>(byte[] utf8Json) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => JsonContentType;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonContentType;
        response.ContentLength = utf8Json.Length;
        return response.Body.WriteAsync(utf8Json, httpContext.RequestAborted).AsTask();
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(TValue), ["application/json"]));
    }
}
