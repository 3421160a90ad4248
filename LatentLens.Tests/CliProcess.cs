using System.Diagnostics;

namespace LatentLens.Tests;

/// <summary>The API's command line run in a process of its own, as a user or the app host runs it.</summary>
internal static class CliProcess
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs <c>dotnet LatentLens.Api.dll ARGS</c>; killed (and a <see cref="TimeoutException"/>) after <see cref="Timeout"/>.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        start.ArgumentList.Add(typeof(LatentLens.Api.ApiEntryPoint).Assembly.Location);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', start.ArgumentList.Skip(1))} did not finish within {Timeout}.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
