namespace LatentLens.Tests;

/// <summary>
/// The test lanes, as xunit traits: <c>[Trait(TestCategories.Key, TestCategories.Slow)]</c> marks a class that
/// starts processes, app hosts, MLflow servers or docker-compose. Everything else is the fast lane:
/// <c>dotnet test LatentLens.sln --filter "Category!=Slow"</c>.
/// </summary>
public static class TestCategories
{
    public const string Key = "Category";
    public const string Slow = "Slow";
}
