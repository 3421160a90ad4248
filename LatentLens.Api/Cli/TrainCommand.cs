using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Evaluation;
using LatentLens.Api.Recommender.Evaluation.Search;
using LatentLens.Api.Training;

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
        Description = "popular, baseline, funksvd (Surprise's SVD), svdpp (Surprise's SVDpp), puresvd (Cremonesi's top-N PureSVD), puresvd-centred (PureSVD of the baseline-centred ratings), als (implicit ALS), bpmf (Bayesian MF by Gibbs sampling, with implicit user and item features), ease (Steck's EASE^R item-item model); a comma-separated list sweeps them.",
        HelpName = "NAME[,NAME...]",
        DefaultValueFactory = _ => [AlgorithmFactory.FunkSvd],
        CustomParser = result => [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries))],
    };

    private readonly Option<int[]> _factors = ListOption.Ints("--factors", $"Latent factors (funksvd default 100, puresvd 14, als 128; at most {ModelSizeGuard.MaxFactors}, as more is almost certainly a typo, and refused before fitting when the model would not fit in memory).", min: 1);
    private readonly Option<int[]> _epochs = ListOption.Ints("--epochs", "Training epochs (funksvd default 20, baseline 10).", min: 1);
    private readonly Option<double[]> _lr = ListOption.Doubles("--lr", "SGD learning rate (funksvd, default 0.005).", allowZero: false);
    private readonly Option<double[]> _reg = ListOption.Doubles("--reg", "Regularization (funksvd default 0.02; als 0.015, scaled per row unless --scale-reg false; baseline and puresvd-centred: both bias terms, default 15 for users and 10 for items; ease: λ, default 4000).", allowZero: true);

    private readonly Option<double[]> _alpha = ListOption.Doubles("--alpha", "als: α in the confidence 1 + α·r of a rated pair (default 0.831, chosen by --search on ml-latest-small; implicit's is 1).", allowZero: true);

    private readonly Option<int[]> _samples = ListOption.Ints("--samples", "bpmf: Gibbs samples in all, burn-in included (default 100).", min: 1);
    private readonly Option<int[]> _burnIn = ListOption.Ints("--burn-in", "bpmf: samples discarded before the posterior average starts (default 10; less than --samples).", min: 0);
    private readonly Option<int> _thin = ListOption.Int("--thin", "bpmf: the served model averages the last sample and every THIN-th before it after the burn-in (default 3: 30 of 100 samples, 300 floats per row at rank 10).", defaultValue: new BpmfOptions().Thin, min: 1);

    private readonly Option<bool> _noImplicit = new("--no-implicit")
    {
        Description = "bpmf: without implicit features at all (neither the items each user rated nor the users who rated each item).",
    };

    private readonly Option<bool> _scaleReg = new("--scale-reg")
    {
        Description = "als: scale λ per user and item by its total confidence, as Rendle et al. 2021's iALS (the default); --scale-reg false: one λ for every row, as implicit.",
    };

    private readonly Option<bool> _noItemImplicit = new("--no-item-implicit")
    {
        Description = "bpmf: without the implicit item features (the users who rated each item); the user features stay.",
    };

    private readonly Option<int> _search = ListOption.Int("--search", "Random search: N trials per algorithm over the ranges of docs/training.md (the first: the defaults), each scored by --promote-by on validation data carved from the training ratings; the best is evaluated on the test data and recorded (tracked: a parent run per algorithm, a child per trial). 0: no search.", defaultValue: 0, min: 0, max: 10_000);

    private readonly Option<bool> _binary = new("--binary")
    {
        Description = "ease: fit on 0/1 interactions instead of the rating values (then --reg wants a smaller λ).",
    };

    private readonly Option<int> _neighbours = ListOption.Int("--neighbours", "ease: the weights of largest magnitude kept per item (default 620; 0 keeps the whole items × items matrix).", defaultValue: new EaseOptions().Neighbours, min: 0);

    private readonly Option<int> _threads = ListOption.Int("--threads", $"funksvd, svdpp: threads the epochs run on (default: this machine's cores, {Environment.ProcessorCount}); 1 keeps Surprise's order exactly, more train blocks of the ratings in parallel, deterministically for a given count.", defaultValue: Environment.ProcessorCount, min: 1);

    private readonly Option<int> _seed = new("--seed")
    {
        Description = "Seed of everything random (fold shuffling, factor initialisation): same seed and data, same results.",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<int> _k = ListOption.Int("--k", "Cut-off of the top-k metrics: each test user's top k of the whole catalogue, as the API serves it.", defaultValue: 10, min: 1, max: 1000);

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
    private readonly Option<string?> _trackingUri = TrackingOptions.TrackingUri();
    private readonly Option<string> _experiment = TrackingOptions.Experiment();

    private readonly Option<bool> _noTrack = new("--no-track")
    {
        Description = "Do not record the runs in the MLflow store.",
    };

    private readonly Option<bool> _register = new("--register")
    {
        Description = "Register each recorded model as a version of LatentLens-SVD and move the alias champion to the best finished run by --promote-by.",
    };

    private readonly Option<string> _promoteBy = new("--promote-by")
    {
        Description = "The metric that picks the champion with --register and the best run of a sweep: rmse, mae (lower is better) or precision_at_K, recall_at_K, ndcg_at_K, map_at_K, hit_rate_at_K, coverage_at_K, novelty_at_K (higher is better).",
        DefaultValueFactory = _ => "rmse",
    };

    private readonly Option<double> _threshold = new("--relevance-threshold")
    {
        Description = "A test rating at or above this is relevant for the top-k metrics.",
        DefaultValueFactory = _ => 4.0,
    };

    private readonly Option<string> _split = new("--split")
    {
        Description = "How the evaluation splits the data: ratings (k-fold or --train/--test files, the default) or users (a user-level split: --holdout-users of the users held out, 80% of each one's ratings given as the history to fold in, 20% the test; reports fold-in, the retrained ceiling and popularity).",
        DefaultValueFactory = _ => "ratings",
    };

    private readonly Option<double> _holdoutUsers = new("--holdout-users")
    {
        Description = "With --split users: the fraction of users held out (default 0.1).",
        DefaultValueFactory = _ => 0.1,
    };

    public Command Build()
    {
        var command = new Command("train", "Train and evaluate SVD-style recommenders (k-fold cross-validation or given train/test files).")
        {
            _dataset, _data, _train, _test, _folds, _algorithm, _factors, _epochs, _lr, _reg, _alpha, _samples, _burnIn, _thin, _noImplicit, _noItemImplicit, _scaleReg, _search, _binary, _neighbours, _threads, _seed, _k, _json, _cacheDir, _downloadUrl, _mlruns, _trackingUri, _experiment, _noTrack, _register, _promoteBy, _threshold, _split, _holdoutUsers,
        };
        _split.AcceptOnlyFromAmong("ratings", "users");
        _holdoutUsers.Validators.Add(r =>
        {
            if (r.GetValue(_holdoutUsers) is not (> 0 and < 1))
            {
                r.AddError("--holdout-users must be between 0 and 1 (exclusive).");
            }
        });
        _dataset.AcceptOnlyFromAmong([.. DatasetCatalog.Names]);
        _factors.Validators.Add(r =>
        {
            // From the tokens, not GetValue: a token the list parser refused has its own error already.
            foreach (var part in r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries)))
            {
                if (int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var factors) && factors > ModelSizeGuard.MaxFactors)
                {
                    r.AddError(string.Create(CultureInfo.InvariantCulture, $"--factors: {factors} is more than {ModelSizeGuard.MaxFactors} (a typo?)."));
                }
            }
        });
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

    private Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken) => CliErrors.RunAsync(parse, async () =>
    {
        var stdout = parse.InvocationConfiguration.Output;
        var stderr = parse.InvocationConfiguration.Error;
        var json = parse.GetValue(_json);
        var grid = new ParameterGrid(
            parse.GetValue(_algorithm)!, parse.GetValue(_factors) ?? [], parse.GetValue(_epochs) ?? [],
            parse.GetValue(_lr) ?? [], parse.GetValue(_reg) ?? [], parse.GetValue(_seed))
        {
            Alphas = parse.GetValue(_alpha) ?? [],
            Samples = parse.GetValue(_samples) ?? [],
            BurnIns = parse.GetValue(_burnIn) ?? [],
            Thin = parse.GetResult(_thin) is { Implicit: false } ? parse.GetValue(_thin) : null,
            Implicit = parse.GetValue(_noImplicit) ? false : null,
            ItemImplicit = parse.GetValue(_noItemImplicit) ? false : null,
            ScaleRegularization = parse.GetResult(_scaleReg) is { Implicit: false } ? parse.GetValue(_scaleReg) : null,
            Binary = parse.GetValue(_binary) ? true : null,
            Neighbours = parse.GetResult(_neighbours) is { Implicit: false } ? parse.GetValue(_neighbours) : null,
            Threads = parse.GetResult(_threads) is { Implicit: false } ? parse.GetValue(_threads) : null,
        };
        var track = !parse.GetValue(_noTrack);
        var search = parse.GetValue(_search);
        if (search > 0 && parse.GetValue(_split) == "users")
        {
            throw new ArgumentException("--search and --split users cannot be combined yet: search the settings with --split ratings, then evaluate the chosen setting with --split users.");
        }

        // Checked here as well as in the pipeline, so that a bad request fails before the data is read (or downloaded).
        var configurations = search > 0 ? [] : TrainingPipeline.Validate(grid, track, parse.GetValue(_register), parse.GetValue(_promoteBy)!);
        if (search > 0)
        {
            HyperparameterSearch.Validate(grid, track, parse.GetValue(_register), parse.GetValue(_promoteBy)!, search);
        }

        var data = await TrainingData.LoadAsync(DataSpec(parse), stderr.WriteLine, cancellationToken);
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Data: {data.Data.Name} ({data.Data.Ratings.Count:N0} ratings, scale {data.Data.Scale}), {data.SplitDescription}; {(search > 0 ? $"{grid.Algorithms.Distinct().Count()} algorithm(s) searched" : $"{configurations.Count} configuration(s)")}."));

        var request = new TrainingRequest
        {
            Data = data,
            Grid = grid,
            K = parse.GetValue(_k),
            RelevanceThreshold = parse.GetValue(_threshold),
            PromoteBy = parse.GetValue(_promoteBy)!,
            Track = track,
            Experiment = parse.GetValue(_experiment)!,
            Register = parse.GetValue(_register),
        };
        // Under the app host (the trainer resource) the spans and epoch metrics go to the dashboard.
        using var telemetry = CommandLineTelemetry.Start(TrainingTelemetry.Name);
        var store = track ? TrackingOptions.Open(parse, _mlruns, _trackingUri) : null;
        using var disposeStore = store as IDisposable;
        var progress = new ConsoleProgress(stdout, stderr, data.Data.Name, printTables: !json);
        if (parse.GetValue(_split) == "users")
        {
            return UserSplitRun.Run(store, request, parse.GetValue(_holdoutUsers), progress, stdout, json, cancellationToken);
        }

        if (search > 0)
        {
            var searched = HyperparameterSearch.Run(store, request, search, progress, cancellationToken);
            if (json)
            {
                stdout.WriteLine(SearchJson.Summary(data.Data.Name, data.SplitDescription, searched.Validation, searched.Training.Results, searched.Searches).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }

            return 0;
        }

        var outcome = TrainingPipeline.Run(store, request, progress, cancellationToken);
        if (json)
        {
            stdout.WriteLine(EvaluationJson.Summary(data.Data.Name, data.SplitDescription, outcome.Results).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        return 0;
    }, cancellationToken);

    private DataSpec DataSpec(ParseResult parse) => new()
    {
        Dataset = parse.GetValue(_dataset)!,
        DatasetGiven = parse.GetResult(_dataset) is { Implicit: false },
        DataPath = parse.GetValue(_data),
        TrainFiles = parse.GetValue(_train) ?? [],
        TestFiles = parse.GetValue(_test) ?? [],
        Folds = parse.GetValue(_folds),
        FoldsGiven = parse.GetResult(_folds) is { Implicit: false },
        Seed = parse.GetValue(_seed),
        CacheDir = parse.GetValue(_cacheDir),
        DownloadUrl = parse.GetValue(_downloadUrl)!,
    };

    /// <summary>
    /// Messages, folds and epochs on stderr (one line per epoch when logged, one updating line on a
    /// terminal); each configuration's table on stdout as soon as it is evaluated, unless the output is JSON.
    /// </summary>
    private sealed class ConsoleProgress(TextWriter output, TextWriter error, string dataName, bool printTables) : ITrainingProgress
    {
        private readonly bool _interactive = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;

        public void Message(string text) => error.WriteLine(text);

        public void Evaluated(EvaluationResult result)
        {
            if (printTables)
            {
                output.WriteLine();
                output.Write(ResultsTable.Render(result, dataName));
            }
        }

        public void FoldStarted(string fold, int index, int count) =>
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{index}/{count}] {fold}: fitting ..."));

        public void Epoch(string fold, EpochReport report)
        {
            var test = double.IsNaN(report.TestRmse) ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"  test RMSE {report.TestRmse:F4}");
            var line = string.Create(CultureInfo.InvariantCulture,
                $"    {fold} epoch {report.Epoch,3}  train RMSE {report.TrainRmse:F4}{test}  {report.Elapsed.TotalSeconds:F3} s");
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
