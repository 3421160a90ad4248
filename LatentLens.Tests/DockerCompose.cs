namespace LatentLens.Tests;

/// <summary>Debian's docker-compose, which validates and normalises a compose file without any container engine.</summary>
internal static class DockerCompose
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary><c>docker-compose -f FILE [--project-directory DIR] config</c>: its exit code, the normal form and its errors.</summary>
    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    public static async Task<(int ExitCode, string Output, string Error)> ConfigAsync(
        string file, string? projectDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        string[] args = projectDirectory is null ? ["-f", file, "config"] : ["-f", file, "--project-directory", projectDirectory, "config"];
        var (exitCode, output, error) = await ProcessRunner.RunAsync("docker-compose", args, environment, timeout: Timeout);
        return (exitCode, output, error);
    }
}
