using System.Globalization;
using System.Text;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Api.Cli;

/// <summary>The closing table of <c>train</c>, in the shape of Surprise's <c>cross_validate(verbose=True)</c>.</summary>
internal static class ResultsTable
{
    public static string Render(EvaluationResult result, string dataset)
    {
        ArgumentNullException.ThrowIfNull(result);
        var k = result.K;
        var rows = MetricCatalog.For(k).Select(m => (m.Label, Value: m.Fold, Summary: m.Summary(result), m.Format)).ToList();

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Evaluating RMSE, MAE and the top-{k} metrics over the whole catalogue of algorithm {result.DisplayName} on {result.Folds.Count} split(s) of {dataset}.\n");
        sb.Append(CultureInfo.InvariantCulture, $"Top-{k}: the {k} unrated items each test user is served, averaged over {result.RankingUsers:F0} users with a test rating >= {result.Threshold:0.#}.");
        sb.Append(result.PredictsRatings ? "\n\n" : $" RMSE/MAE: n/a ({result.Algorithm} ranks items, it does not predict ratings).\n\n");
        const int labelWidth = 18;
        const int cellWidth = 9;
        sb.Append(new string(' ', labelWidth));
        foreach (var fold in result.Folds)
        {
            sb.Append(Cell(Capitalize(fold.Name), cellWidth));
        }

        sb.Append(Cell("Mean", cellWidth)).Append(Cell("Std", cellWidth).TrimEnd()).Append('\n');
        foreach (var (label, value, summary, format) in rows)
        {
            sb.Append(label.PadRight(labelWidth));
            foreach (var fold in result.Folds)
            {
                sb.Append(Cell(Format(value(fold), format), cellWidth));
            }

            sb.Append(Cell(Format(summary.Mean, format), cellWidth))
                .Append(Format(summary.Std, format))
                .Append('\n');
        }

        return sb.ToString();
    }

    private static string Format(double value, string format) => double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Cell(string text, int width) => text.PadRight(width);

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
