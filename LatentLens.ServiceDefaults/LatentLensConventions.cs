namespace LatentLens;

/// <summary>
/// What the app host and the services must agree on, defined once: the MLflow names of the system
/// and the settings the app host passes to the API. The app host references this project as a plain
/// library (not as a service) for this class alone.
/// </summary>
public static class LatentLensConventions
{
    /// <summary>The MLflow experiment every training run is recorded in.</summary>
    public const string ExperimentName = "LatentLens-SVD-Evaluation";

    /// <summary>The registered model whose versions the API serves.</summary>
    public const string RegisteredModelName = "LatentLens-SVD";

    /// <summary>The alias of the version the API serves.</summary>
    public const string ChampionAlias = "champion";

    /// <summary>The store's folder name beside the repository root and inside the containers (<c>/mlruns</c>, <c>/app/mlruns</c>).</summary>
    public const string MlrunsFolderName = "mlruns";

    /// <summary>The configuration section of the API's settings.</summary>
    public const string SettingsSection = "LatentLens";

    /// <summary>Environment variable of the API's store folder (configuration key <c>LatentLens:MlrunsPath</c>).</summary>
    public const string MlrunsPathVariable = "LatentLens__MlrunsPath";

    /// <summary>MLflow's own environment variable naming the tracking server (or store) its clients use; set for the API and the trainer in the server topology.</summary>
    public const string TrackingUriVariable = "MLFLOW_TRACKING_URI";

    /// <summary>Environment variable that maps the admin endpoints behind the dashboard's commands.</summary>
    public const string EnableAdminEndpointsVariable = "LatentLens__EnableAdminEndpoints";

    /// <summary>The admin endpoint that reloads the champion now.</summary>
    public const string ReloadPath = "/admin/reload";
}
