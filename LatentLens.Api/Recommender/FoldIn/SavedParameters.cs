using System.Globalization;
using LatentLens.Api.Recommender.Models;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// A fold-in's hyper-parameters as the model's run recorded them (<see cref="SavedModel.Parameters"/>, invariant culture),
/// so a fold-in regularises exactly as its model was trained; the algorithm's default where an old artifact lacks one.
/// </summary>
internal static class SavedParameters
{
    public static double Double(SavedModel saved, string key, double fallback) =>
        saved.Parameters.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : fallback;

    public static int Int(SavedModel saved, string key, int fallback) =>
        saved.Parameters.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : fallback;
}
