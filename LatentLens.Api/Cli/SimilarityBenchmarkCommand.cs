using System.CommandLine;
using System.Globalization;
using LatentLens.Api.Benchmarks;

namespace LatentLens.Api.Cli;

/// <summary>
/// <c>benchmark similar</c>: how well similar items agree with the catalogue's own genres
/// (<see cref="GenreAgreement"/>), for each shrinkage λ asked for.
/// </summary>
internal static class SimilarityBenchmarkCommand
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
        command.SetAction(parse => CliErrors.Run(parse, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var store = TrackingOptions.Open(parse, mlruns, trackingUri);
            using var disposeStore = store as IDisposable;
            var (origin, saved) = BenchmarkModel.Choose(store, parse.GetValue(runId), parse.InvocationConfiguration.Error.WriteLine);

            var model = saved.Model;
            if (model.Factors == 0)
            {
                error.WriteLine($"error: {origin.RunName} has no item factors, so no similar items");
                return 1;
            }

            var agreement = new GenreAgreement(saved, GenreAgreement.ReadGenres(parse.GetValue(movies)!), parse.GetValue(top));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model: {origin.RunName} ({model.Items.Count} items x {model.Factors} factors); the {agreement.Asked.Count} most-rated items, their {parse.GetValue(k)} most similar"));
            output.WriteLine("shrinkage  mean genre Jaccard  median support of the similar items  min support");
            foreach (var lambda in parse.GetValue(shrinkage) is { Length: > 0 } given ? given : [0, 10, 25, 50, 100])
            {
                var point = agreement.Measure(lambda, parse.GetValue(k));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{lambda,9:0.##}  {point.MeanJaccard,18:F4}  {point.MedianSupport,35}  {point.MinSupport,11}"));
            }

            return 0;
        }));
        return command;
    }
}
