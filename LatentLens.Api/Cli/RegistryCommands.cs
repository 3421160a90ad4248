using System.CommandLine;
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
        command.SetAction(parse => CliErrors.Run(parse, () =>
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
        command.SetAction(parse => CliErrors.Run(parse, () =>
        {
            var store = TrackingOptions.Open(parse, mlruns, trackingUri);
            using var disposeStore = store as IDisposable;
            var result = Promotion.PromoteBest(store, parse.GetValue(experiment)!, parse.GetValue(bestBy)!, parse.GetValue(model)!, parse.GetValue(alias)!);
            parse.InvocationConfiguration.Output.WriteLine(result.Message);
        }));
        return command;
    }
}
