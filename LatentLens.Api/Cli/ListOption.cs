using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace LatentLens.Api.Cli;

/// <summary>Options that take one value or a comma-separated list (<c>--factors 50,100,200</c>): a sweep.</summary>
internal static class ListOption
{
    public static Option<int[]> Ints(string name, string description, int min) =>
        Create(name, description, (string token, out int value) =>
            int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= min,
            $"a whole number of at least {min}");

    public static Option<double[]> Doubles(string name, string description, bool allowZero) =>
        Create(name, description, (string token, out double value) =>
            double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value) && (allowZero ? value >= 0 : value > 0),
            allowZero ? "a number of at least 0" : "a number above 0");

    /// <summary>A single whole number in [min, max]; a bad value is a parse error naming the option, never an exception.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min, int max = int.MaxValue) =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
                {
                    return value;
                }

                result.AddError(max == int.MaxValue
                    ? $"{name}: '{token}' is not a whole number of at least {min}."
                    : $"{name}: '{token}' is not a whole number from {min} to {max}.");
                return defaultValue;
            },
        };

    private delegate bool TryParse<T>(string token, out T value);

    private static Option<T[]> Create<T>(string name, string description, TryParse<T> parse, string expected)
    {
        var option = new Option<T[]>(name)
        {
            Description = description + " One value, or a comma-separated list to sweep.",
            HelpName = "value[,value...]",
            CustomParser = result =>
            {
                var values = new List<T>();
                foreach (var token in result.Tokens)
                {
                    foreach (var part in token.Value.Split(',', StringSplitOptions.TrimEntries))
                    {
                        if (!parse(part, out var value))
                        {
                            result.AddError($"{name}: '{part}' is not {expected}.");
                            return [];
                        }

                        values.Add(value);
                    }
                }

                return [.. values];
            },
        };
        return option;
    }
}
