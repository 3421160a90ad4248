using LatentLens.Api.Cli;

namespace LatentLens.Tests.Cli;

/// <summary>Runs the command line in process, its stdout and stderr captured, every run bounded.</summary>
internal static class CliRun
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, output, error).WaitAsync(TimeSpan.FromSeconds(300));
        return (exit, output.ToString(), error.ToString());
    }
}
