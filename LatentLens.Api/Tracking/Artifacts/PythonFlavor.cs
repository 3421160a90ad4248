using LatentLens.Api.Tracking;

namespace LatentLens.Api.Tracking.Artifacts;

/// <summary>
/// The <c>python_function</c> flavor of a model artifact, so that MLflow's Python side loads a LatentLens
/// model (<c>mlflow.pyfunc.load_model("runs:/RUN/model")</c>): a loader module that needs only NumPy and
/// pandas (<c>Tracking/Artifacts/Python/latentlens_pyfunc.py</c>, embedded in this assembly and copied into each
/// artifact's <c>code/</c>), and the environment it names.
/// </summary>
internal static class PythonFlavor
{
    public const string Name = "python_function";

    public const string LoaderModule = "latentlens_pyfunc";

    /// <summary>The Python the loader was written and tested against; MLflow only warns on another.</summary>
    public const string PythonVersion = "3.11";

    public static Dictionary<string, object?> Conf() => new()
    {
        ["code"] = "code",
        ["env"] = new Dictionary<string, object?> { ["virtualenv"] = "python_env.yaml" },
        ["loader_module"] = LoaderModule,
        ["python_version"] = PythonVersion,
    };

    public static IReadOnlyList<(string Name, byte[] Content)> Files() =>
    [
        ($"code/{LoaderModule}.py", Loader.Value),
        ("python_env.yaml", MlflowYaml.Utf8NoBom.GetBytes($"python: {PythonVersion}\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n")),
        ("requirements.txt", MlflowYaml.Utf8NoBom.GetBytes("numpy\npandas\n")),
    ];

    private static readonly Lazy<byte[]> Loader = new(() =>
    {
        using var stream = typeof(PythonFlavor).Assembly.GetManifestResourceStream($"{LoaderModule}.py")
            ?? throw new InvalidOperationException($"The {LoaderModule}.py resource is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });
}
