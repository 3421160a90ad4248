using System.CommandLine;
using LatentLens.Api.Tracking.FileStore;
using LatentLens.Api.Tracking.Server;
using LatentLens.Api.Tracking.Stores;

namespace LatentLens.Api.Cli;

/// <summary><c>migrate</c>: copy a file store's runs and registry into a tracking server.</summary>
internal static class MigrateCommand
{
    public static Command Build()
    {
        var mlruns = TrackingOptions.Mlruns();
        var trackingUri = TrackingOptions.TrackingUri();
        trackingUri.Description = $"The tracking server to copy into, http(s)://HOST:PORT (default: ${LatentLensConventions.TrackingUriVariable}).";
        var command = new Command("migrate", "Copy every run (params, metric histories, tags, inputs, artifacts, status, times) and the model registry (versions, aliases) of a file store into a tracking server; runs copied before are skipped.")
        {
            mlruns, trackingUri,
        };
        command.SetAction(parse => CliErrors.Run(parse, () =>
        {
            var output = parse.InvocationConfiguration.Output;
            // No folder to fall back to: the --mlruns folder is the source, never the target. A --tracking-uri given
            // empty is refused below rather than replaced by $MLFLOW_TRACKING_URI.
            var given = parse.GetValue(trackingUri);
            var uri = given is not null ? given : TrackingStoreFactory.ChooseUri(null, Environment.GetEnvironmentVariable, folder: null);
            if (string.IsNullOrWhiteSpace(uri) || !TrackingStoreFactory.IsServer(uri))
            {
                throw new ArgumentException($"migrate copies into a tracking server: give --tracking-uri http(s)://HOST:PORT (or ${LatentLensConventions.TrackingUriVariable}){(string.IsNullOrWhiteSpace(uri) ? string.Empty : $"; '{uri}' is not one")}.");
            }

            var source = new FileTrackingStore(TrackingStoreFactory.FileStorePath(parse.GetValue(mlruns)!));
            using var target = (ServerTrackingStore)TrackingStoreFactory.Open(uri);
            output.WriteLine($"Copying {source.Root} into {target.Location} ...");
            var summary = StoreMigration.Migrate(source, target, output.WriteLine);
            output.WriteLine($"{summary.RunsCopied} run(s) copied, {summary.RunsAlreadyThere} already there{(summary.RunsRedone > 0 ? $" ({summary.RunsRedone} left incomplete by an interrupted migration deleted and copied again)" : string.Empty)}, from {summary.Experiments} experiment(s); {summary.Artifacts} artifact file(s) uploaded.");
            output.WriteLine($"{summary.VersionsCreated} model version(s) registered, {summary.VersionsAlreadyThere} already there.");
            foreach (var alias in summary.Aliases)
            {
                output.WriteLine($"  {alias}");
            }

            foreach (var skipped in summary.Skipped)
            {
                parse.InvocationConfiguration.Error.WriteLine($"warning: {skipped}");
            }

            return 0;
        }));
        return command;
    }
}
