using System.CommandLine;
using System.Globalization;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Cli;

/// <summary><c>register</c> and <c>promote</c>: the model registry from the command line.</summary>
internal static class RegistryCommands
{
    public static Command Register()
    {
        var runId = new Option<string>("--run-id") { Description = "The run whose model/ artifact becomes a new version.", Required = true };
        var alias = new Option<string?>("--alias") { Description = "Point this alias (e.g. champion) at the new version." };
        var mlruns = TrackingOptions.Mlruns();
        var trackingUri = TrackingOptions.TrackingUri();
        var model = TrackingOptions.Model();
        var command = new Command("register", "Register a run's model as a new version of the registered model (LatentLens-SVD).") { runId, alias, mlruns, trackingUri, model };
        command.SetAction(parse => Guard(parse, () =>
        {
            var store = TrackingOptions.Open(parse, mlruns, trackingUri);
            using var disposeStore = store as IDisposable;
            var id = parse.GetValue(runId)!;
            var run = store.FindRun(id)
                ?? throw new InvalidOperationException($"No run {id} in {store.Location}.");
            if (run.Status != RunStatus.Finished)
            {
                throw new InvalidOperationException($"Run {id} is {run.Status}, not finished: only finished runs are registered.");
            }

            var name = parse.GetValue(model)!;
            var version = store.RegisterVersion(name, run.ExperimentId, run.RunId, description: run.RunName);
            parse.InvocationConfiguration.Output.WriteLine($"Registered {run.RunName} ({run.RunId}) as {name} version {version}.");
            if (parse.GetValue(alias) is { } a)
            {
                store.SetAlias(name, a, version);
                parse.InvocationConfiguration.Output.WriteLine($"{a} -> version {version}.");
            }
        }));
        return command;
    }

    public static Command Promote()
    {
        var bestBy = new Option<string>("--best-by")
        {
            Description = "The metric that decides: rmse, mae (lower is better); precision_at_10, recall_at_10, ndcg_at_10, map_at_10, hit_rate_at_10, coverage_at_10, novelty_at_10 (higher is better).",
            DefaultValueFactory = _ => "rmse",
        };
        var alias = new Option<string>("--alias") { Description = "The alias to move.", DefaultValueFactory = _ => LatentLensConventions.ChampionAlias };
        var mlruns = TrackingOptions.Mlruns();
        var trackingUri = TrackingOptions.TrackingUri();
        var experiment = TrackingOptions.Experiment();
        var model = TrackingOptions.Model();
        var command = new Command("promote", "Move the alias (champion) to the version of the best finished run, registering it if needed.") { bestBy, alias, mlruns, trackingUri, experiment, model };
        command.SetAction(parse => Guard(parse, () =>
        {
            var direction = Recommender.Evaluation.MetricCatalog.HigherIsBetter(parse.GetValue(bestBy)!) ? "higher is better" : "lower is better";
            var store = TrackingOptions.Open(parse, mlruns, trackingUri);
            using var disposeStore = store as IDisposable;
            var result = Promotion.PromoteBest(store, parse.GetValue(experiment)!, parse.GetValue(bestBy)!, parse.GetValue(model)!, parse.GetValue(alias)!);
            var name = parse.GetValue(alias);
            var metric = parse.GetValue(bestBy);
            var was = result.PreviousVersion is { } p ? FormattableString.Invariant($"version {p}") : "unset";
            parse.InvocationConfiguration.Output.WriteLine(result.Moved
                ? FormattableString.Invariant($"{name} -> version {result.Version}: {result.RunName} ({result.RunId}), {metric} {result.Score:F4}, the best ({direction}; was {was}).")
                : FormattableString.Invariant($"{name} stays at version {result.Version}: {result.RunName} ({result.RunId}), {metric} {result.Score:F4}, the best ({direction})."));
        }));
        return command;
    }

    private static int Guard(ParseResult parse, Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException)
        {
            parse.InvocationConfiguration.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}
