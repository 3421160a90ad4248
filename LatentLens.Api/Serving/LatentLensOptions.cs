using System.ComponentModel.DataAnnotations;

namespace LatentLens.Api.Serving;

/// <summary>Settings of the API, bound from the <c>LatentLens</c> configuration section.</summary>
internal sealed class LatentLensOptions : IValidatableObject
{
    public const string SectionName = LatentLensConventions.SettingsSection;

    /// <summary>
    /// The MLflow file store the API reads models from. The app host sets it to the same folder it
    /// bind-mounts into the MLflow UI; in the API container it is <c>/app/mlruns</c>. A relative
    /// path resolves against the working directory.
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = MlrunsPathMissing)]
    public string MlrunsPath { get; set; } = "mlruns";

    /// <summary>
    /// Where runs are tracked, as MLflow's clients take it: <c>http(s)://HOST:PORT</c> for a tracking server,
    /// a folder or <c>file:</c> URI for a file store. Unset: the environment's <c>MLFLOW_TRACKING_URI</c>,
    /// else <see cref="MlrunsPath"/>.
    /// </summary>
    public string? TrackingUri { get; set; }

    /// <summary>Where models downloaded from a tracking server are kept (default: <c>models/&lt;server&gt;</c> in LatentLens' cache folder).</summary>
    public string? ModelCachePath { get; set; }

    /// <summary>How often the store is checked for a new champion.</summary>
    [Range(0.1, 3600)]
    public double ReloadIntervalSeconds { get; set; } = 2;

    /// <summary>
    /// How long <c>POST /admin/reload</c> waits for the store before it answers 503 (the model serving keeps
    /// serving; the reload goes on in the background). A tracking server that does not answer is retried for up
    /// to two minutes: no request should hang that long.
    /// </summary>
    [Range(0.1, 600)]
    public double ReloadTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// Maps <c>POST /admin/reload</c> (the dashboard's "Reload model" command). Off
    /// unless configuration turns it on: the app host does in development; the compose deployment never does.
    /// </summary>
    public bool EnableAdminEndpoints { get; set; }

    private const string MlrunsPathKey = SectionName + ":" + nameof(MlrunsPath);

    private const string MlrunsPathMissing = MlrunsPathKey + " (environment " + LatentLensConventions.MlrunsPathVariable + ") must name the MLflow store folder; it is empty.";

    /// <summary>
    /// The absolute form of <see cref="MlrunsPath"/>. A method, not a property: the data-annotations
    /// validator reads every public property, and an empty path would throw there (wrapped in a
    /// TargetInvocationException that names no setting) before the [Required] message is reported.
    /// </summary>
    public string GetMlrunsFullPath() => Path.GetFullPath(MlrunsPath);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        string? error = null;
        try
        {
            GetMlrunsFullPath();
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = ex.Message;
        }

        string? uriError = null;
        if (error is null && !string.IsNullOrWhiteSpace(TrackingUri))
        {
            try
            {
                _ = Tracking.Stores.TrackingStoreFactory.IsServer(TrackingUri) ? Tracking.Stores.TrackingStoreFactory.ServerUri(TrackingUri).AbsoluteUri : Tracking.Stores.TrackingStoreFactory.FileStorePath(TrackingUri);
            }
            catch (ArgumentException ex)
            {
                uriError = ex.Message;
            }
        }

        if (uriError is not null)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(TrackingUri)}: {uriError}", [nameof(TrackingUri)]);
        }

        if (error is not null)
        {
            yield return new ValidationResult($"{MlrunsPathKey} (environment {LatentLensConventions.MlrunsPathVariable}) is not a usable folder path: {error}", [nameof(MlrunsPath)]);
        }
    }
}
