namespace LatentLens.Tests;

/// <summary>Where the repository and the shared data are, found from the test assembly's folder.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The shared folder beside the repository (read-only data that may not be redistributed: MovieLens 100K); absent in a plain clone.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared"));

    public static string MovieLens100k => Path.Combine(Shared, "data", "ml-100k");

    /// <summary>The MLflow store written by MLflow 2.12.1 itself, kept with the tests (Fixtures/README.md).</summary>
    public static string GoldenStore => Path.Combine(RepositoryRoot, "LatentLens.Tests", "Fixtures", "golden-mlruns");

    public static string BundledLatestSmall => Path.Combine(RepositoryRoot, "data", "ml-latest-small");

    /// <summary>A new empty folder under the system's temp folder; the caller deletes it.</summary>
    public static string NewTempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "latentlens-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Copies every file under <paramref name="source"/> into <paramref name="target"/>, keeping the tree.</summary>
    public static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }

    /// <summary>A copy of the repository's committed <c>mlruns/</c> in a new temp folder; the caller deletes it.</summary>
    public static string CopyOfCommittedStore()
    {
        var root = Path.Combine(NewTempFolder(), "mlruns");
        CopyFolder(Path.Combine(RepositoryRoot, "mlruns"), root);
        return root;
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LatentLens.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No LatentLens.sln above {AppContext.BaseDirectory}.");
    }
}
