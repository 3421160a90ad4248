using System.Globalization;
using System.Text;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Api.Cli;

/// <summary>The table <c>train --split users</c> prints: per configuration, fold-in against the retrained ceiling and popularity.</summary>
internal static class UserSplitTable
{
    public static string Render(IReadOnlyList<UserSplitResult> results, int k, string split)
    {
        ArgumentNullException.ThrowIfNull(results);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Fold-in on a {split}\n");
        text.Append(CultureInfo.InvariantCulture, $"{"configuration",-28} {"fold-in NDCG@" + k,16} {"retrained",10} {"ratio",6} {"popularity",10} {"fit (s)",8} {"fold-in+rank (µs)",18}\n");
        foreach (var r in results)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{r.Evaluation.DisplayName,-28} {r.FoldIn.Ndcg,16:F4} {r.Retrained.Ndcg,10:F4} {r.FoldIn.Ndcg / r.Retrained.Ndcg,6:F3} {r.Popularity.Ndcg,10:F4} {r.FitSeconds,8:F3} {r.FoldInMicroseconds,18:F1}\n");
        }

        return text.ToString();
    }
}
