namespace LatentLens.Tests;

/// <summary>The API's command line run in a process of its own, as a user or the app host runs it.</summary>
internal static class CliProcess
{
    public static readonly TimeSpan Timeout = ProcessRunner.DefaultTimeout;

    /// <summary>Runs <c>dotnet LatentLens.Api.dll ARGS</c>; killed (and a <see cref="TimeoutException"/>) after <see cref="Timeout"/>.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var (exitCode, output, error) = await ProcessRunner.RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [typeof(LatentLens.Api.ApiEntryPoint).Assembly.Location, .. arguments],
            environment?.ToDictionary(e => e.Key, string? (e) => e.Value),
            workingDirectory,
            Timeout);
        return (exitCode, output, error);
    }
}
