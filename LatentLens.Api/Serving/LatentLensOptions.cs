using System.ComponentModel.DataAnnotations;

namespace LatentLens.Api.Serving;

/// <summary>Settings of the API, bound from the <c>LatentLens</c> configuration section.</summary>
internal sealed class LatentLensOptions
{
    public const string SectionName = LatentLensConventions.SettingsSection;

    /// <summary>
    /// The MLflow file store the API reads models from. The app host sets it to the same folder it
    /// bind-mounts into the MLflow UI; in the API container it is <c>/app/mlruns</c>. A relative
    /// path resolves against the working directory.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string MlrunsPath { get; set; } = "mlruns";

    /// <summary>How often the store is checked for a new champion.</summary>
    [Range(0.1, 3600)]
    public double ReloadIntervalSeconds { get; set; } = 2;

    /// <summary>
    /// Maps <c>POST /admin/reload</c> and <c>POST /admin/train</c> (the dashboard's commands). Off
    /// unless configuration turns it on: the app host does in development; the compose deployment never does.
    /// </summary>
    public bool EnableAdminEndpoints { get; set; }

    /// <summary>The absolute form of <see cref="MlrunsPath"/>.</summary>
    public string MlrunsFullPath => Path.GetFullPath(MlrunsPath);
}
