namespace LatentLens.Tests;

/// <summary>A fact that needs MovieLens 100K from ../shared/data/ml-100k (never in the repository: its terms forbid redistribution).</summary>
public sealed class RequiresMovieLens100kFactAttribute : FactAttribute
{
    public RequiresMovieLens100kFactAttribute()
    {
        if (!File.Exists(Path.Combine(TestPaths.MovieLens100k, "u.data")))
        {
            Skip = $"MovieLens 100K is not at {TestPaths.MovieLens100k}; this test reads it from the shared folder beside the repository.";
        }
    }
}
