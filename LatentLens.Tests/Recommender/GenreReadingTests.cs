using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking.Artifacts;

namespace LatentLens.Tests.Recommender;

/// <summary>Genres from movies.csv and u.item, into the saved model and its artifact, and back.</summary>
public sealed class GenreReadingTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content, System.Text.Encoding? encoding = null)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content, encoding ?? new System.Text.UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void MoviesCsvGenresArePipeSeparatedAndNoGenresListedIsNone()
    {
        var path = Write("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children\n2,\"Heat, the (1995)\",Action|Crime\n3,Nothing (2000),(no genres listed)\n");

        var (titles, genres) = RatingReaders.ReadMovieLensLatestMovies(path);

        Assert.Equal("Heat, the (1995)", titles["2"]);
        Assert.Equal(["Action", "Adventure", "Animation", "Children", "Crime"], genres!.Names);
        Assert.Equal(["Adventure", "Animation", "Children"], genres.ByItem["1"]);
        Assert.Empty(genres.ByItem["3"]);
    }

    [Fact]
    public void UItemGenreFlagsAreNamedByUGenreAndUnknownIsNone()
    {
        string Flags(params int[] on) => string.Join('|', Enumerable.Range(0, 19).Select(g => on.Contains(g) ? "1" : "0"));
        Write("u.genre", string.Join('\n', RatingReaders.MovieLens100kGenres.Select((g, n) => $"{(n == 4 ? "Kids" : g)}|{n}")) + "\n\n");
        var path = Write("u.item", $"1|Toy Story (1995)|01-Jan-1995||http://x|{Flags(3, 4, 5)}\n2|GoldenEye (1995)|01-Jan-1995||http://y|{Flags(0)}\n", System.Text.Encoding.Latin1);

        var (titles, genres) = RatingReaders.ReadMovieLens100kItems(path);

        Assert.Equal("Toy Story (1995)", titles["1"]);
        Assert.Equal(18, genres!.Names.Count);
        Assert.Equal(["Animation", "Kids", "Comedy"], genres.ByItem["1"]);
        Assert.Empty(genres.ByItem["2"]);
    }

    [Fact]
    public void UItemWithoutUGenreUsesTheDocumentedNames()
    {
        var path = Write("u.item", $"7|Seven (1995)|01-Jan-1995||http://x|{string.Join('|', Enumerable.Range(0, 19).Select(g => g == 4 ? "1" : "0"))}\n");

        var (_, genres) = RatingReaders.ReadMovieLens100kItems(path);

        Assert.Equal(["Children's"], genres!.ByItem["7"]);
    }

    [Fact]
    public void TheBundledMoviesCsvCarriesItsNineteenGenres()
    {
        var (_, genres) = RatingReaders.ReadMovieLensLatestMovies(Path.Combine(TestPaths.RepositoryRoot, "data", "ml-latest-small", "movies.csv"));

        Assert.Equal(19, genres!.Names.Count);
        Assert.Contains("Sci-Fi", genres.Names);
        Assert.Contains("IMAX", genres.Names);
    }

    [Fact]
    public void GenresSurviveTheModelArtifactAndOldArtifactsLoadWithout()
    {
        var data = TestData.SyntheticWithTitles();
        var trainset = Trainset.Build(data.Ratings, data.Scale);
        var model = new PureSvd(new PureSvdOptions { Factors = 3, Seed = 1 }).Fit(trainset);
        var byItem = model.Items.RawIds.ToDictionary(id => id, id => int.Parse(id, System.Globalization.CultureInfo.InvariantCulture) % 2 == 0 ? new[] { "Drama" } : ["Comedy", "Drama"]);
        var saved = SavedModel.From(model, trainset, data.Titles, new Dictionary<string, string>()) with
        {
            Genres = ItemGenres.From(model.Items, new RawGenres(["Comedy", "Drama"], byItem)),
        };

        var loaded = Load(saved, "with");
        var old = Load(saved with { Genres = null }, "without");

        Assert.Equal(["Comedy", "Drama"], loaded.Genres!.Names);
        Assert.Equal(saved.Genres!.Masks, loaded.Genres.Masks);
        Assert.True(loaded.Genres.TryGetBit("drama", out var drama));
        Assert.All(loaded.Genres.Masks, mask => Assert.NotEqual(0UL, mask & drama));
        Assert.Null(old.Genres);
    }

    private SavedModel Load(SavedModel saved, string name)
    {
        var folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        foreach (var (file, content) in ModelArtifact.Build(saved, "run", "uuid", DateTime.UtcNow))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, file))!);
            File.WriteAllBytes(Path.Combine(folder, file), content);
        }

        return ModelArtifact.Load(folder);
    }
}
