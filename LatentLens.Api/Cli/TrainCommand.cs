using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Cli;

/// <summary><c>train</c>: read ratings, evaluate one configuration or a sweep, print Surprise's table (or JSON).</summary>
internal sealed class TrainCommand
{
    private readonly Option<string> _dataset = new("--dataset")
    {
        Description = "A named data set: ml-latest-small (bundled, the default) or ml-100k (downloaded into the cache on first use).",
        DefaultValueFactory = _ => DatasetCatalog.MovieLensLatestSmall,
    };

    private readonly Option<string?> _data = new("--data")
    {
        Description = "A local data set instead: a MovieLens 100K folder (u.data), a MovieLens latest folder (ratings.csv), or a CSV with a header user,item,rating[,timestamp].",
        HelpName = "PATH",
    };

    private readonly Option<string[]> _train = new("--train")
    {
        Description = "A training file, paired in order with --test (repeatable); or a folder holding u1.base/u1.test ... u5 to use those splits.",
        HelpName = "FILE",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string[]> _test = new("--test")
    {
        Description = "A test file, paired in order with --train (repeatable).",
        HelpName = "FILE",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<int> _folds = ListOption.Int("--folds", "Cross-validation folds when no --train/--test files are given.", defaultValue: 5, min: 2);

    private readonly Option<string[]> _algorithm = new("--algorithm")
    {
        Description = "baseline, funksvd (Surprise's SVD) or puresvd; a comma-separated list sweeps them.",
        HelpName = "baseline|funksvd|puresvd",
        DefaultValueFactory = _ => [AlgorithmFactory.FunkSvd],
        CustomParser = result => [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries))],
    };

    private readonly Option<int[]> _factors = ListOption.Ints("--factors", "Latent factors (funksvd default 100, puresvd 50).", min: 1);
    private readonly Option<int[]> _epochs = ListOption.Ints("--epochs", "Training epochs (funksvd default 20, baseline 10).", min: 1);
    private readonly Option<double[]> _lr = ListOption.Doubles("--lr", "SGD learning rate (funksvd, default 0.005).", allowZero: false);
    private readonly Option<double[]> _reg = ListOption.Doubles("--reg", "Regularization (funksvd default 0.02; baseline and puresvd: both bias terms, default 15 for users and 10 for items).", allowZero: true);

    private readonly Option<int> _seed = new("--seed")
    {
        Description = "Seed of everything random (fold shuffling, factor initialisation): same seed and data, same results.",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<int> _k = ListOption.Int("--k", "Cut-off of precision@k, recall@k and NDCG@k (relevant = rating >= 4).", defaultValue: 10, min: 1, max: 1000);

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Print the final results as JSON on stdout (per fold and mean), for scripts. Progress still goes to stderr.",
    };

    private readonly Option<string?> _cacheDir = new("--cache-dir")
    {
        Description = "Where downloaded data sets are cached (default: $LATENTLENS_CACHE, else ~/.cache/latentlens).",
        HelpName = "DIR",
    };

    private readonly Option<Uri> _downloadUrl = new("--download-url")
    {
        Description = "Where ml-100k is downloaded from (a mirror of the official zip).",
        HelpName = "URL",
        DefaultValueFactory = _ => MovieLens100kDownloader.OfficialUrl,
    };

    private readonly Option<string> _mlruns = TrackingOptions.Mlruns();
    private readonly Option<string> _experiment = TrackingOptions.Experiment();

    private readonly Option<bool> _noTrack = new("--no-track")
    {
        Description = "Do not record the runs in the MLflow store.",
    };

    private readonly Option<bool> _register = new("--register")
    {
        Description = "Register each recorded model as a version of LatentLens-SVD and move the alias champion to the best finished run by RMSE.",
    };

    public Command Build()
    {
        var command = new Command("train", "Train and evaluate SVD-style recommenders (k-fold cross-validation or given train/test files).")
        {
            _dataset, _data, _train, _test, _folds, _algorithm, _factors, _epochs, _lr, _reg, _seed, _k, _json, _cacheDir, _downloadUrl, _mlruns, _experiment, _noTrack, _register,
        };
        _dataset.AcceptOnlyFromAmong([.. DatasetCatalog.Names]);
        _algorithm.Validators.Add(r =>
        {
            foreach (var name in r.GetValue(_algorithm) ?? [])
            {
                if (!AlgorithmFactory.Names.Contains(name))
                {
                    r.AddError($"--algorithm: '{name}' is not one of {string.Join(", ", AlgorithmFactory.Names)}.");
                }
            }
        });
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var stdout = parse.InvocationConfiguration.Output;
        var stderr = parse.InvocationConfiguration.Error;
        try
        {
            var configurations = Configurations(parse).ToList();
            foreach (var c in configurations)
            {
                AlgorithmFactory.Create(c);
            }

            var (data, splits, splitDescription) = await LoadSplitsAsync(parse, stderr, cancellationToken);
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Data: {data.Name} ({data.Ratings.Count:N0} ratings, scale {data.Scale}), {splitDescription}; {configurations.Count} configuration(s)."));

            var k = parse.GetValue(_k);
            var track = !parse.GetValue(_noTrack);
            if (!track && parse.GetValue(_register))
            {
                throw new ArgumentException("--register needs the runs recorded: drop --no-track.");
            }

            var store = new MlflowStore(parse.GetValue(_mlruns)!);
            TrainingRecorder? recorder = null;
            RunWriter? parent = null;
            if (track)
            {
                var experimentName = parse.GetValue(_experiment)!;
                recorder = new TrainingRecorder(store, store.GetOrCreateExperiment(experimentName));
                stderr.WriteLine($"Recording runs in {store.Root}, experiment '{experimentName}'.");
                if (configurations.Count > 1)
                {
                    parent = recorder.StartParent($"sweep-{string.Join('-', configurations.Select(c => c.Algorithm).Distinct())}-{configurations.Count}", SweepParams(parse));
                }
            }

            var results = new List<EvaluationResult>();
            var recorded = new List<RecordedRun>();
            try
            {
                foreach (var settings in configurations)
                {
                    var algorithm = AlgorithmFactory.Create(settings);
                    stderr.WriteLine($"Evaluating {algorithm.DisplayName} ...");
                    var result = Evaluator.Evaluate(algorithm, splits, data.Scale, k, 4.0, new ConsoleProgress(stderr), cancellationToken);
                    results.Add(result);
                    if (!parse.GetValue(_json))
                    {
                        stdout.WriteLine();
                        stdout.Write(ResultsTable.Render(result, data.Name));
                    }

                    if (recorder is not null)
                    {
                        stderr.WriteLine($"  fitting {algorithm.DisplayName} on all {data.Ratings.Count:N0} ratings and recording the run ...");
                        var run = recorder.Record(algorithm, data, splitDescription, result, parent?.RunId, cancellationToken: cancellationToken);
                        recorded.Add(run);
                        stderr.WriteLine($"  recorded run {run.RunId} ({run.Name})");
                    }
                }

                if (parent is not null)
                {
                    recorder!.FinishParent(parent, recorded);
                    stderr.WriteLine($"Sweep recorded as parent run {parent.RunId}.");
                }
            }
            catch (Exception ex) when (parent is not null && parent.EndedWith is null)
            {
                parent.End(ex is OperationCanceledException ? RunStatus.Killed : RunStatus.Failed, ex.Message);
                throw;
            }

            if (parse.GetValue(_register))
            {
                var registry = new ModelRegistry(store);
                foreach (var run in recorded)
                {
                    var version = registry.RegisterVersion(ModelRegistry.DefaultModelName, recorder!.ExperimentId, run.RunId, description: run.Name);
                    stderr.WriteLine($"Registered {run.Name} as {ModelRegistry.DefaultModelName} version {version}.");
                }

                var promotion = Promotion.PromoteBest(store, parse.GetValue(_experiment)!, "rmse");
                stderr.WriteLine(promotion.Moved
                    ? $"champion -> version {promotion.Version} ({promotion.RunName}, RMSE {promotion.Score:F4}; was {promotion.PreviousVersion?.ToString(CultureInfo.InvariantCulture) ?? "unset"})."
                    : $"champion stays at version {promotion.Version} ({promotion.RunName}, RMSE {promotion.Score:F4}).");
            }

            if (parse.GetValue(_json))
            {
                stdout.WriteLine(EvaluationJson.Summary(data.Name, splitDescription, results).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }

            return 0;
        }
        catch (Exception ex) when (ex is DataFormatException or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("Cancelled.");
            return 130;
        }
    }

    private Dictionary<string, string> SweepParams(ParseResult parse)
    {
        static string List<T>(T[]? values) => values is { Length: > 0 } ? string.Join(",", values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))) : "default";
        return new Dictionary<string, string>
        {
            ["sweep.algorithm"] = string.Join(",", parse.GetValue(_algorithm)!.Distinct()),
            ["sweep.factors"] = List(parse.GetValue(_factors)),
            ["sweep.epochs"] = List(parse.GetValue(_epochs)),
            ["sweep.lr"] = List(parse.GetValue(_lr)),
            ["sweep.reg"] = List(parse.GetValue(_reg)),
            ["seed"] = parse.GetValue(_seed).ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// Every combination of the given values. When several algorithms are swept, each takes only
    /// the hyper-parameters it has; a single algorithm given one it lacks is an error (AlgorithmFactory).
    /// </summary>
    private IEnumerable<AlgorithmSettings> Configurations(ParseResult parse)
    {
        var seed = parse.GetValue(_seed);
        var algorithms = parse.GetValue(_algorithm)!.Distinct().ToList();
        IEnumerable<T?> Values<T>(T[]? values, string algorithm, string parameter)
            where T : struct =>
            values is { Length: > 0 } && (algorithms.Count == 1 || AlgorithmFactory.Accepts(algorithm, parameter))
                ? values.Select(v => (T?)v)
                : [null];

        var seen = new HashSet<AlgorithmSettings>();
        foreach (var algorithm in algorithms)
        {
            foreach (var factors in Values(parse.GetValue(_factors), algorithm, "factors"))
            {
                foreach (var epochs in Values(parse.GetValue(_epochs), algorithm, "epochs"))
                {
                    foreach (var lr in Values(parse.GetValue(_lr), algorithm, "lr"))
                    {
                        foreach (var reg in Values(parse.GetValue(_reg), algorithm, "reg"))
                        {
                            var settings = new AlgorithmSettings(algorithm, factors, epochs, lr, reg, seed);
                            if (seen.Add(settings))
                            {
                                yield return settings;
                            }
                        }
                    }
                }
            }
        }
    }

    private async Task<(RatingData Data, IReadOnlyList<Split> Splits, string Description)> LoadSplitsAsync(
        ParseResult parse, TextWriter log, CancellationToken cancellationToken)
    {
        var trainFiles = parse.GetValue(_train) ?? [];
        var testFiles = parse.GetValue(_test) ?? [];
        var seed = parse.GetValue(_seed);

        if (trainFiles.Length > 0 || testFiles.Length > 0)
        {
            if (parse.GetResult(_folds) is { Implicit: false })
            {
                throw new ArgumentException("--folds cannot be combined with --train/--test: the files are the splits.");
            }

            if (parse.GetValue(_data) is not null || parse.GetResult(_dataset) is { Implicit: false })
            {
                throw new ArgumentException("--data/--dataset cannot be combined with --train/--test.");
            }

            IReadOnlyList<(string Name, string Train, string Test)> pairs;
            if (trainFiles.Length == 1 && testFiles.Length == 0 && Directory.Exists(trainFiles[0]))
            {
                pairs = Splits.MovieLensFolderSplits(trainFiles[0]);
            }
            else if (trainFiles.Length != testFiles.Length)
            {
                throw new ArgumentException($"--train and --test come in pairs: {trainFiles.Length} --train and {testFiles.Length} --test given.");
            }
            else
            {
                pairs = [.. trainFiles.Select((t, n) => (Path.GetFileNameWithoutExtension(t), t, testFiles[n]))];
            }

            return ReadPairs(pairs);
        }

        RatingData data;
        if (parse.GetValue(_data) is { } path)
        {
            if (parse.GetResult(_dataset) is { Implicit: false })
            {
                throw new ArgumentException("Give either --data or --dataset, not both.");
            }

            data = DatasetCatalog.ReadPath(path);
        }
        else
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            var downloader = new MovieLens100kDownloader(http, parse.GetValue(_downloadUrl)!, parse.GetValue(_cacheDir) ?? MovieLens100kDownloader.DefaultCacheRoot());
            data = await DatasetCatalog.LoadAsync(parse.GetValue(_dataset)!, downloader, log.WriteLine, cancellationToken);
        }

        var folds = parse.GetValue(_folds);
        return (data, Splits.KFold(data.Ratings, folds, seed), string.Create(CultureInfo.InvariantCulture, $"{folds}-fold cross-validation (seed {seed})"));
    }

    private static (RatingData, IReadOnlyList<Split>, string) ReadPairs(IReadOnlyList<(string Name, string Train, string Test)> pairs)
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
        var titles = RatingReaders.ReadMovieLens100kTitles(Path.Combine(folder, "u.item"));
        // The final model of a run is fitted on all of the first split's ratings (u1.base + u1.test = u.data).
        var data = new RatingData(new DirectoryInfo(folder).Name, folder, [.. splits[0].Train, .. splits[0].Test], scale, titles);
        return (data, splits, $"given splits {string.Join(", ", pairs.Select(p => p.Name))}");
    }

    /// <summary>Folds and epochs on stderr: one line per epoch when logged, one updating line on a terminal.</summary>
    private sealed class ConsoleProgress(TextWriter error) : IEvaluationProgress
    {
        private readonly bool _interactive = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;

        public void FoldStarted(string fold, int index, int count) =>
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{index}/{count}] {fold}: fitting ..."));

        public void Epoch(string fold, EpochReport report)
        {
            var line = string.Create(CultureInfo.InvariantCulture,
                $"    {fold} epoch {report.Epoch,3}  train RMSE {report.TrainRmse:F4}  {report.Elapsed.TotalSeconds:F3} s");
            if (_interactive)
            {
                error.Write("\r" + line);
            }
            else
            {
                error.WriteLine(line);
            }
        }

        public void FoldFinished(FoldResult result)
        {
            if (_interactive)
            {
                error.WriteLine();
            }

            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {result.Name}: RMSE {result.Rmse:F4}  MAE {result.Mae:F4}  fit {result.FitSeconds:F3} s  test {result.TestSeconds:F3} s"));
        }
    }
}
