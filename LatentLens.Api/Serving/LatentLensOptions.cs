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

    /// <summary>How often the store is checked for a new champion.</summary>
    [Range(0.1, 3600)]
    public double ReloadIntervalSeconds { get; set; } = 2;

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

        if (error is not null)
        {
            yield return new ValidationResult($"{MlrunsPathKey} (environment {LatentLensConventions.MlrunsPathVariable}) is not a usable folder path: {error}", [nameof(MlrunsPath)]);
        }
    }
}
