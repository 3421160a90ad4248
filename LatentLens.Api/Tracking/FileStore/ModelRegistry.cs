using System.Globalization;

namespace LatentLens.Api.Tracking.FileStore;

/// <summary>The model registry of the file store (<c>models/</c>): versions of a registered model and their aliases.</summary>
internal sealed class ModelRegistry(FileTrackingStore store)
{
    /// <summary>
    /// Registers the model artifact of a run as the next version of <paramref name="modelName"/>, or returns the
    /// version the run already has (the latest, should an older store hold several). Both the lookup and the
    /// numbering happen under the store lock, so trainers and <c>promote</c> racing in separate processes can
    /// neither register one run twice nor give two runs one number.
    /// </summary>
    public int RegisterVersion(string modelName, string experimentId, string runId, string artifactPath = "model", string? description = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (MlflowNames.ModelNameProblem(modelName) is { } problem)
        {
            throw new ArgumentException(problem, nameof(modelName));
        }

        if (!File.Exists(Path.Combine(store.Root, experimentId, runId, "artifacts", artifactPath, "MLmodel")))
        {
            throw new InvalidOperationException($"Run {runId} has no model at artifacts/{artifactPath} to register.");
        }

        store.EnsureLayout();
        using var @lock = StoreLock.Acquire(store.Root, TimeSpan.FromSeconds(30));
        var folder = Path.Combine(store.Root, "models", modelName);
        var now = MlflowNames.Now();
        var existing = store.FindRegisteredModel(modelName);
        if (existing?.Versions.LastOrDefault(v => v.RunId == runId) is { } registered)
        {
            return registered.Version;
        }

        var version = NextVersion(folder, existing);
        var source = store.RelativeUri(experimentId, runId, "artifacts", artifactPath);
        // The model's meta.yaml first: its folder must never exist without it.
        WriteModelMeta(folder, modelName, existing?.CreationTimestamp ?? now, now, existing?.Description ?? "SVD-family recommenders trained by LatentLens", existing?.Aliases);
        store.WriteYaml(Path.Combine(folder, $"version-{version}", "meta.yaml"), new Dictionary<string, object?>
        {
            ["aliases"] = Array.Empty<string>(),
            ["creation_timestamp"] = now,
            ["current_stage"] = "None",
            ["description"] = description,
            ["last_updated_timestamp"] = now,
            ["name"] = modelName,
            ["run_id"] = runId,
            ["run_link"] = null,
            ["source"] = source,
            ["status"] = "READY",
            ["status_message"] = null,
            ["storage_location"] = source,
            ["user_id"] = null,
            ["version"] = version,
        });
        return version;
    }

    /// <summary>Points <paramref name="alias"/> at <paramref name="version"/> (moving it if it pointed elsewhere).</summary>
    public void SetAlias(string modelName, string alias, int version)
    {
        if (MlflowNames.AliasProblem(alias) is { } problem)
        {
            throw new ArgumentException(problem, nameof(alias));
        }

        using var @lock = StoreLock.Acquire(store.Root, TimeSpan.FromSeconds(30));
        var model = store.FindRegisteredModel(modelName)
            ?? throw new InvalidOperationException($"There is no registered model '{modelName}'.");
        if (model.Versions.All(v => v.Version != version))
        {
            throw new InvalidOperationException($"The registered model '{modelName}' has no version {version}.");
        }

        var folder = Path.Combine(store.Root, "models", modelName);
        AtomicFile.WriteText(store.Root, Path.Combine(folder, "aliases", alias), version.ToString(CultureInfo.InvariantCulture));
        var aliases = new Dictionary<string, int>(model.Aliases, StringComparer.Ordinal) { [alias] = version };
        WriteModelMeta(folder, modelName, model.CreationTimestamp, MlflowNames.Now(), model.Description, aliases);
    }

    /// <summary>
    /// One above the highest version, counting version folders whose meta.yaml the reader skipped as
    /// unreadable: a new version must never be written over an old one.
    /// </summary>
    private static int NextVersion(string folder, RegisteredModelInfo? existing)
    {
        var highest = existing?.Versions.Select(v => v.Version).DefaultIfEmpty(0).Max() ?? 0;
        if (Directory.Exists(folder))
        {
            foreach (var versionFolder in Directory.EnumerateDirectories(folder, "version-*"))
            {
                if (int.TryParse(Path.GetFileName(versionFolder).AsSpan("version-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    highest = Math.Max(highest, number);
                }
            }
        }

        return checked(highest + 1);
    }

    private void WriteModelMeta(string folder, string name, long created, long updated, string? description, IReadOnlyDictionary<string, int>? aliases) =>
        store.WriteYaml(Path.Combine(folder, "meta.yaml"), new Dictionary<string, object?>
        {
            ["aliases"] = aliases is { Count: > 0 }
                ? aliases.ToDictionary(a => a.Key, a => (object?)a.Value.ToString(CultureInfo.InvariantCulture))
                : new Dictionary<string, object?>(),
            ["creation_timestamp"] = created,
            ["description"] = description,
            ["last_updated_timestamp"] = updated,
            ["name"] = name,
        });
}
