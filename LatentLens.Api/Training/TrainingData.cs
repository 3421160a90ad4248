using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Api.Training;

/// <summary>
/// Where the ratings of a training come from, as the command line gives it: a named data set, a
/// local path, or given train/test pairs (files, or a MovieLens 100K folder with u1..u5).
/// </summary>
internal sealed record DataSpec
{
    public string Dataset { get; init; } = DatasetCatalog.MovieLensLatestSmall;

    /// <summary>Whether <see cref="Dataset"/> was given rather than defaulted.</summary>
    public bool DatasetGiven { get; init; }

    public string? DataPath { get; init; }

    public IReadOnlyList<string> TrainFiles { get; init; } = [];

    public IReadOnlyList<string> TestFiles { get; init; } = [];

    public int Folds { get; init; } = 5;

    /// <summary>Whether <see cref="Folds"/> was given rather than defaulted.</summary>
    public bool FoldsGiven { get; init; }

    public int Seed { get; init; }

    public string? CacheDir { get; init; }

    public Uri DownloadUrl { get; init; } = MovieLens100kDownloader.OfficialUrl;
}

/// <summary>The ratings of a training, its evaluation splits, and how the splits were made (recorded as the run's <c>split</c> param).</summary>
internal sealed record TrainingData(RatingData Data, IReadOnlyList<Split> Splits, string SplitDescription)
{
    /// <summary>Reads what <paramref name="spec"/> names; throws <see cref="ArgumentException"/> for options that do not go together.</summary>
    public static async Task<TrainingData> LoadAsync(DataSpec spec, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.TrainFiles.Count > 0 || spec.TestFiles.Count > 0)
        {
            if (spec.FoldsGiven)
            {
                throw new ArgumentException("--folds cannot be combined with --train/--test: the files are the splits.");
            }

            if (spec.DataPath is not null || spec.DatasetGiven)
            {
                throw new ArgumentException("--data/--dataset cannot be combined with --train/--test.");
            }

            IReadOnlyList<(string Name, string Train, string Test)> pairs;
            if (spec.TrainFiles.Count == 1 && spec.TestFiles.Count == 0 && Directory.Exists(spec.TrainFiles[0]))
            {
                pairs = Recommender.Evaluation.Splits.MovieLensFolderSplits(spec.TrainFiles[0]);
            }
            else if (spec.TrainFiles.Count != spec.TestFiles.Count)
            {
                throw new ArgumentException($"--train and --test come in pairs: {spec.TrainFiles.Count} --train and {spec.TestFiles.Count} --test given.");
            }
            else
            {
                pairs = [.. spec.TrainFiles.Select((t, n) => (Path.GetFileNameWithoutExtension(t), t, spec.TestFiles[n]))];
            }

            return ReadPairs(pairs);
        }

        RatingData data;
        if (spec.DataPath is { } path)
        {
            if (spec.DatasetGiven)
            {
                throw new ArgumentException("Give either --data or --dataset, not both.");
            }

            data = DatasetCatalog.ReadPath(path);
        }
        else
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            var downloader = new MovieLens100kDownloader(http, spec.DownloadUrl, spec.CacheDir ?? MovieLens100kDownloader.DefaultCacheRoot());
            data = await DatasetCatalog.LoadAsync(spec.Dataset, downloader, log, cancellationToken);
        }

        return KFold(data, spec.Folds, spec.Seed);
    }

    private static TrainingData KFold(RatingData data, int folds, int seed) =>
        new(data, Recommender.Evaluation.Splits.KFold(data.Ratings, folds, seed), string.Create(CultureInfo.InvariantCulture, $"{folds}-fold cross-validation (seed {seed})"));

    private static TrainingData ReadPairs(IReadOnlyList<(string Name, string Train, string Test)> pairs)
    {
        var splits = new List<Split>();
        var scale = RatingReaders.MovieLens100kScale;
        foreach (var (name, train, test) in pairs)
        {
            var trainRatings = RatingReaders.ReadFile(train, scale: null);
            var testRatings = RatingReaders.ReadFile(test, scale: null);
            splits.Add(new Split(name, trainRatings, testRatings));
        }

        if (pairs.Any(p => p.Train.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)))
        {
            var all = splits.SelectMany(s => s.Train.Concat(s.Test)).ToList();
            scale = new RatingScale(all.Min(r => r.Value), all.Max(r => r.Value));
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(pairs[0].Train))!;
        var (titles, genres) = RatingReaders.ReadMovieLens100kItems(Path.Combine(folder, "u.item"));
        // The final model of a run is fitted on all of the first split's ratings (u1.base + u1.test = u.data).
        var data = new RatingData(new DirectoryInfo(folder).Name, folder, [.. splits[0].Train, .. splits[0].Test], scale, titles) { Genres = genres };
        return new TrainingData(data, splits, $"given splits {string.Join(", ", pairs.Select(p => p.Name))}");
    }
}
