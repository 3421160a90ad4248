using System.CommandLine;

namespace LatentLens.Api.Cli;

/// <summary>The command line of LatentLens.Api: <c>dotnet run --project LatentLens.Api -- train ...</c>.</summary>
internal static class CliApp
{
    private static readonly HashSet<string> Commands = new(StringComparer.Ordinal) { "train", "benchmark", "register", "promote", "migrate" };

    /// <summary>True when the first argument names a command, so the process is a CLI run, not the web server.</summary>
    public static bool IsCliInvocation(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var root = BuildRootCommand();
        var config = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
        };
        return await root.Parse(args).InvokeAsync(config);
    }

    internal static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("LatentLens: train, evaluate and track SVD-style recommenders.");
        root.Subcommands.Add(new TrainCommand().Build());
        root.Subcommands.Add(BenchmarkCommand.Build());
        root.Subcommands.Add(RegistryCommands.Register());
        root.Subcommands.Add(RegistryCommands.Promote());
        root.Subcommands.Add(MigrateCommand.Build());
        return root;
    }
}
