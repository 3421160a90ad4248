using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace LatentLens.Api.Tracking;

/// <summary>MLflow's rules for names, ids, statuses and timestamps (utils/validation.py).</summary>
internal partial class MlflowNames
{
    public const int MaxKeyLength = 250;
    public const int MaxParamValueLength = 6000;
    public const int MaxTagValueLength = 5000;

    [GeneratedRegex(@"^[/\w.\- ]*$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,255}$")]
    private static partial Regex RunIdPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,63}$")]
    private static partial Regex ExperimentIdPattern();

    [GeneratedRegex(@"^[\w\-]*$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^v\d+$")]
    private static partial Regex VersionLikeAlias();

    /// <summary>Why <paramref name="key"/> is not a valid param, metric or tag key, or null when it is.</summary>
    public static string? KeyProblem(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength || !KeyPattern().IsMatch(key))
        {
            return $"'{key}' is not a valid key: 1–{MaxKeyLength} characters of letters, digits, _ - . / and space";
        }

        if (key.StartsWith('/') || key.Contains("//", StringComparison.Ordinal) || key.Split('/').Any(part => part is "." or ".."))
        {
            return $"'{key}' is not a normalised relative path";
        }

        return null;
    }

    public static void RequireKey(string key)
    {
        if (KeyProblem(key) is { } problem)
        {
            throw new ArgumentException(problem, nameof(key));
        }
    }

    public static bool IsRunId(string id) => RunIdPattern().IsMatch(id);

    public static bool IsExperimentId(string id) => ExperimentIdPattern().IsMatch(id);

    public static string? AliasProblem(string alias) =>
        !AliasPattern().IsMatch(alias) || alias.Length == 0 ? $"'{alias}' is not a valid alias (letters, digits, _ and -)"
        : alias.Equals("latest", StringComparison.OrdinalIgnoreCase) || VersionLikeAlias().IsMatch(alias) ? $"'{alias}' is reserved by MLflow"
        : null;

    public static string? ModelNameProblem(string name) =>
        string.IsNullOrWhiteSpace(name) || name.Contains('/', StringComparison.Ordinal) || name.Contains('%', StringComparison.Ordinal)
            ? $"'{name}' is not a valid registered model name (no '/' or '%')"
            : null;

    /// <summary>A new run id as MLflow makes them: 32 hex digits of a random UUID.</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N");

    /// <summary>A new experiment id as MLflow's file store makes them: 18 random digits, no leading zero.</summary>
    public static string NewExperimentId()
    {
        var first = RandomNumberGenerator.GetInt32(1, 10);
        var rest = RandomNumberGenerator.GetInt32(0, 100_000_000);
        var more = RandomNumberGenerator.GetInt32(0, 1_000_000_000);
        return string.Create(CultureInfo.InvariantCulture, $"{first}{rest:D8}{more:D9}");
    }

    /// <summary>Milliseconds since the Unix epoch, UTC: the only timestamp MLflow reads.</summary>
    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The time format of <c>utc_time_created</c> in an MLmodel file and in <c>mlflow.log-model.history</c>.</summary>
    public static string FormatModelTime(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    /// <summary>A metric or param value as Python's <c>float()</c> reads it: invariant culture, round-trip precision.</summary>
    public static string FormatDouble(double value) => value switch
    {
        double.PositiveInfinity => "Infinity",
        double.NegativeInfinity => "-Infinity",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}

/// <summary>MLflow's run statuses, stored as these integers.</summary>
internal enum RunStatus
{
    Running = 1,
    Scheduled = 2,
    Finished = 3,
    Failed = 4,
    Killed = 5,
}
