namespace LatentLens.Api.Recommender.Data;

/// <summary>Finds and reads the data sets LatentLens knows by name, or any local path.</summary>
internal static class DatasetCatalog
{
    public const string MovieLensLatestSmall = "ml-latest-small";
    public const string MovieLens100k = "ml-100k";

    public static IReadOnlyList<string> Names { get; } = [MovieLensLatestSmall, MovieLens100k];

    /// <summary>
    /// Reads a local path: a MovieLens 100K folder (<c>u.data</c>), a MovieLens latest folder
    /// (<c>ratings.csv</c>), a CSV with a header user,item,rating[,timestamp], or a tab-separated file.
    /// </summary>
    public static RatingData ReadPath(string path)
    {
        if (Directory.Exists(path))
        {
            var name = new DirectoryInfo(path).Name;
            if (File.Exists(Path.Combine(path, "u.data")))
            {
                return RatingReaders.ReadMovieLens100k(path, name);
            }

            if (File.Exists(Path.Combine(path, "ratings.csv")))
            {
                return RatingReaders.ReadMovieLensLatest(path, name);
            }

            throw new DataFormatException(path, 0, "the folder holds neither u.data (MovieLens 100K) nor ratings.csv (MovieLens latest)");
        }

        if (!File.Exists(path))
        {
            throw new DataFormatException(path, 0, "no such file or folder");
        }

        var ratings = RatingReaders.ReadFile(path, scale: null);
        var scale = path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? new RatingScale(ratings.Min(r => r.Value), ratings.Max(r => r.Value))
            : RatingReaders.MovieLens100kScale;
        return new RatingData(Path.GetFileNameWithoutExtension(path), path, ratings, scale);
    }

    /// <summary>The bundled MovieLens latest-small folder: <c>data/ml-latest-small</c> above the working directory or the program.</summary>
    public static string FindBundled(string name = MovieLensLatestSmall)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "data", name);
                if (File.Exists(Path.Combine(candidate, "ratings.csv")))
                {
                    return candidate;
                }
            }
        }

        throw new DataFormatException(Path.Combine("data", name), 0, "the bundled data set was not found above the working directory; run from the repository or pass --data PATH");
    }

    /// <summary>Reads a named data set: the bundled one, or MovieLens 100K from the cache (downloading it on first use).</summary>
    public static async Task<RatingData> LoadAsync(string name, MovieLens100kDownloader downloader, Action<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(downloader);
        return name switch
        {
            MovieLensLatestSmall => RatingReaders.ReadMovieLensLatest(FindBundled(), MovieLensLatestSmall),
            MovieLens100k => RatingReaders.ReadMovieLens100k(await downloader.EnsureAsync(log, cancellationToken)),
            _ => throw new ArgumentException($"Unknown data set '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
