using System.Globalization;

namespace LatentLens.AppHost.Compose;

/// <summary>
/// Writes the values the model holds (strings, parameters, endpoints, reference expressions,
/// connection strings) as a compose file spells them: a service reaches another by its service name
/// and container port; a parameter becomes a variable compose reads from its environment or
/// <c>.env</c>, required (<c>${NAME:?}</c>), so no secret is ever written into the file.
/// </summary>
internal static class ComposeValues
{
    public static string Resolve(object? value, string owner) => value switch
    {
        string text => text,
        ParameterResource parameter => $"${{{VariableName(parameter)}:?}}",
        EndpointReference endpoint => Url(endpoint),
        EndpointReferenceExpression expression => Property(expression),
        ReferenceExpression expression => Format(expression, owner),
        IResourceWithConnectionString resource => Format(resource.ConnectionStringExpression, owner),
        _ => throw new InvalidOperationException(
            $"The compose publish step cannot write the value {value?.GetType().Name ?? "null"} of '{owner}'."),
    };

    /// <summary>The compose variable of a parameter: <c>postgres-password</c> → <c>POSTGRES_PASSWORD</c>.</summary>
    public static string VariableName(ParameterResource parameter) =>
        parameter.Name.ToUpperInvariant().Replace('-', '_');

    private static string Url(EndpointReference endpoint) =>
        $"{endpoint.EndpointAnnotation.UriScheme}://{endpoint.Resource.Name}:{TargetPort(endpoint)}";

    private static string Property(EndpointReferenceExpression expression) => expression.Property switch
    {
        EndpointProperty.Host => expression.Endpoint.Resource.Name,
        EndpointProperty.Port or EndpointProperty.TargetPort => TargetPort(expression.Endpoint),
        EndpointProperty.HostAndPort => $"{expression.Endpoint.Resource.Name}:{TargetPort(expression.Endpoint)}",
        EndpointProperty.Url => Url(expression.Endpoint),
        EndpointProperty.Scheme => expression.Endpoint.EndpointAnnotation.UriScheme,
        var other => throw new InvalidOperationException($"The compose publish step cannot write the endpoint property {other} of '{expression.Endpoint.Resource.Name}'."),
    };

    private static string TargetPort(EndpointReference endpoint) =>
        (endpoint.EndpointAnnotation.TargetPort ?? endpoint.EndpointAnnotation.Port
            ?? throw new InvalidOperationException($"The endpoint '{endpoint.EndpointName}' of '{endpoint.Resource.Name}' has no port."))
        .ToString(CultureInfo.InvariantCulture);

    private static string Format(ReferenceExpression expression, string owner)
    {
        var values = expression.ValueProviders.Select(p => (object)Resolve(p, owner)).ToArray();
        return string.Format(CultureInfo.InvariantCulture, expression.Format, values);
    }
}
