using LatentLens.Api.Cli;

namespace LatentLens.Tests.Cli;

/// <summary>Runs the command line in process, its stdout and stderr captured, every run bounded.</summary>
/// <remarks>In process, not spawned: <see cref="CliProcess"/> runs it as a process of its own.</remarks>
internal static class CliRun
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(300);

    public static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => RunWithinAsync(DefaultTimeout, args);

    /// <summary>The same within <paramref name="timeout"/> (a <see cref="TimeoutException"/> past it).</summary>
    public static async Task<(int Exit, string Out, string Err)> RunWithinAsync(TimeSpan timeout, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, output, error).WaitAsync(timeout);
        return (exit, output.ToString(), error.ToString());
    }
}
