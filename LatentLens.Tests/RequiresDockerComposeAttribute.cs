namespace LatentLens.Tests;

/// <summary>A fact that needs Debian's docker-compose (setup.sh and .ci/run install it; it needs no container engine).</summary>
public sealed class RequiresDockerComposeFactAttribute : FactAttribute
{
    public RequiresDockerComposeFactAttribute()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator)
            .Any(dir => File.Exists(Path.Combine(dir, "docker-compose")));
        if (!found)
        {
            Skip = "docker-compose is not installed; run ./setup.sh (it installs Debian's docker-compose).";
        }
    }
}
