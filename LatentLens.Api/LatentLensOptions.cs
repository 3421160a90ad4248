using System.ComponentModel.DataAnnotations;

namespace LatentLens.Api;

/// <summary>Settings of the API, bound from the <c>LatentLens</c> configuration section.</summary>
public sealed class LatentLensOptions
{
    public const string SectionName = "LatentLens";

    /// <summary>
    /// The MLflow file store the API reads models from. The app host sets it to the same folder it
    /// bind-mounts into the MLflow UI; in the API container it is <c>/app/mlruns</c>. A relative
    /// path resolves against the working directory.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string MlrunsPath { get; set; } = "mlruns";

    /// <summary>The absolute form of <see cref="MlrunsPath"/>.</summary>
    public string MlrunsFullPath => Path.GetFullPath(MlrunsPath);
}
