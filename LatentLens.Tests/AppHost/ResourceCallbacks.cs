using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace LatentLens.Tests.AppHost;

/// <summary>
/// A resource's argument and environment callbacks replayed as declared, before anything resolves them: a
/// parameter stays its <see cref="ParameterResource"/>, an endpoint its <see cref="EndpointReference"/>.
/// </summary>
internal static class ResourceCallbacks
{
    public static async Task<List<object>> ArgsAsync(IResource resource)
    {
        var args = new List<object>();
        var context = new CommandLineArgsCallbackContext(args, resource, CancellationToken.None);
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return args;
    }

    public static async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource, DistributedApplicationOperation operation = DistributedApplicationOperation.Run)
    {
        var environment = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(operation), resource, environment, CancellationToken.None);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return environment;
    }
}

/// <summary>
/// The tests that create bare builders (<c>DistributedApplication.CreateBuilder()</c>) run alone: the testing
/// builder finds the app host's builder through process-wide diagnostic events, and a bare builder created
/// meanwhile in another test could be taken for it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BareBuilderCollection
{
    public const string Name = "Bare app host builders";
}
