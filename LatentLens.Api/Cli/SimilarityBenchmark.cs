using System.CommandLine;
using System.Globalization;
using System.Text;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Ranking;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Cli;

/// <summary>
/// <c>benchmark similar</c>: how well similar items agree with the catalogue's own genres. For the
/// most-rated items, the mean Jaccard index between an item's genres and each of its k most similar
/// items' genres (MovieLens latest's <c>movies.csv</c>), for each shrinkage λ asked for.
/// </summary>
internal static class SimilarityBenchmark
{
    public static Command Build()
    {
        var mlruns = TrackingOptions.Mlruns();
        var trackingUri = TrackingOptions.TrackingUri();
        var runId = new Option<string?>("--run-id") { Description = "Use this run's model instead of the champion." };
        var movies = new Option<string>("--movies")
        {
            Description = "A MovieLens latest movies.csv (movieId,title,genres) matching the model's items.",
            DefaultValueFactory = _ => Path.Combine("data", "ml-latest-small", "movies.csv"),
        };
        var shrinkage = ListOption.Doubles("--shrinkage", "Values of λ in cos · n/(n + λ) (default 0,10,25,50,100).", allowZero: true);
        var top = ListOption.Int("--items", "How many of the most-rated items to ask about.", defaultValue: 100, min: 1);
        var k = ListOption.Int("--k", "Similar items per item.", defaultValue: 10, min: 1, max: 1000);
        var command = new Command("similar", "Mean genre Jaccard between the most-rated items and their k most similar items, per shrinkage λ.")
        {
            mlruns, trackingUri, runId, movies, shrinkage, top, k,
        };
        command.SetAction(parse => TrackingOptions.Guard(parse, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var store = TrackingOptions.Open(parse, mlruns, trackingUri);
            using var disposeStore = store as IDisposable;
            var origin = parse.GetValue(runId) is { } id
                ? store.FindRun(id) is { } run ? ModelOrigin.Of(run) : null
                : ChampionResolver.Resolve(store, new ProblemSink());
            if (origin?.Run is null || origin.Defect is not null)
            {
                error.WriteLine($"error: no servable model in {store.Location}");
                return 1;
            }

            var saved = store.LoadModel(origin.Run);
            var model = saved.Model;
            if (model.Factors == 0)
            {
                error.WriteLine($"error: {origin.RunName} has no item factors, so no similar items");
                return 1;
            }

            Dictionary<string, HashSet<string>> genres;
            try
            {
                genres = ReadGenres(parse.GetValue(movies)!);
            }
            catch (Exception ex) when (ex is IOException or DataFormatException)
            {
                error.WriteLine($"error: {ex.Message}");
                return 1;
            }

            var norms = Ranker.ItemNorms(model);
            var support = Ranker.ItemSupport(saved);
            var asked = Enumerable.Range(0, model.Items.Count).OrderByDescending(i => support[i]).ThenBy(i => i).Take(parse.GetValue(top)).ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model: {origin.RunName} ({model.Items.Count} items x {model.Factors} factors); the {asked.Count} most-rated items, their {parse.GetValue(k)} most similar"));
            output.WriteLine("shrinkage  mean genre Jaccard  median support of the similar items  min support");
            foreach (var lambda in parse.GetValue(shrinkage) is { Length: > 0 } given ? given : [0, 10, 25, 50, 100])
            {
                var divisors = Ranker.SimilarityDivisors(norms, support, lambda);
                var jaccards = new List<double>();
                var supports = new List<int>();
                foreach (var item in asked)
                {
                    var own = genres.GetValueOrDefault(model.Items.ToRaw(item)) ?? [];
                    foreach (var similar in Ranker.Similar(model, norms, divisors, item, parse.GetValue(k)))
                    {
                        var theirs = genres.GetValueOrDefault(model.Items.ToRaw(similar.Item)) ?? [];
                        var union = own.Union(theirs).Count();
                        jaccards.Add(union == 0 ? 0 : (double)own.Intersect(theirs).Count() / union);
                        supports.Add(support[similar.Item]);
                    }
                }

                supports.Sort();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{lambda,9:0.##}  {jaccards.Average(),18:F4}  {supports[supports.Count / 2],35}  {supports[0],11}"));
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Genres by item id; "(no genres listed)" counts as none.</summary>
    private static Dictionary<string, HashSet<string>> ReadGenres(string path)
    {
        var genres = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        long lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (lineNumber == 1 || line.Length == 0)
            {
                continue;
            }

            var fields = RatingReaders.SplitCsvLine(line);
            if (fields.Count < 3)
            {
                throw new DataFormatException(path, lineNumber, "expected movieId,title,genres");
            }

            genres[fields[0]] = [.. fields[2].Split('|').Where(g => g != "(no genres listed)")];
        }

        return genres;
    }
}
