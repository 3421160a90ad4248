namespace LatentLens.Tests;

/// <summary>A fact that needs MovieLens 100K from ../shared/data/ml-100k (never in the repository: its terms forbid redistribution).</summary>
public sealed class RequiresMovieLens100kFactAttribute : FactAttribute
{
    public RequiresMovieLens100kFactAttribute()
    {
        Skip = RequiresMovieLens100k.SkipReason;
    }
}

/// <summary>A theory that needs MovieLens 100K, as <see cref="RequiresMovieLens100kFactAttribute"/>.</summary>
public sealed class RequiresMovieLens100kTheoryAttribute : TheoryAttribute
{
    public RequiresMovieLens100kTheoryAttribute()
    {
        Skip = RequiresMovieLens100k.SkipReason;
    }
}

internal static class RequiresMovieLens100k
{
    /// <summary>Null where the data is there; else why the test skips.</summary>
    public static string? SkipReason =>
        File.Exists(Path.Combine(TestPaths.MovieLens100k, "u.data")) && File.Exists(Path.Combine(TestPaths.MovieLens100k, "u1.base"))
            ? null
            : $"MovieLens 100K is not at {TestPaths.MovieLens100k}; this test reads it from the shared folder beside the repository.";
}
