namespace LatentLens.AppHost;

/// <summary>The folders the system diagram is drawn over: the repository and its MLflow file store.</summary>
internal static class AppHostFolders
{
    public const string MlrunsKey = "LatentLens:Mlruns";

    extension(IDistributedApplicationBuilder builder)
    {
        /// <summary>The repository: the app host's parent folder (the Dockerfile's build context).</summary>
        public string RepositoryFolder => Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));

        /// <summary>
        /// The MLflow file store, defined once: the repository's <c>mlruns/</c>, or the folder
        /// <c>LatentLens:Mlruns</c> names (the tests give a run of the app host a copy).
        /// </summary>
        public string MlrunsFolder => builder.Configuration[MlrunsKey] is { Length: > 0 } other
            ? Path.GetFullPath(other)
            : Path.Combine(builder.RepositoryFolder, LatentLensConventions.MlrunsFolderName);
    }
}
