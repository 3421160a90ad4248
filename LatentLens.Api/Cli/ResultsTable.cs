using System.Globalization;
using System.Text;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Api.Cli;

/// <summary>The closing table of <c>train</c>, in the shape of Surprise's <c>cross_validate(verbose=True)</c>.</summary>
internal static class ResultsTable
{
    public static string Render(EvaluationResult result, string dataset)
    {
        var k = result.K;
        var rows = new (string Label, Func<FoldResult, double> Value, MeanStd Summary, string Format)[]
        {
            ("RMSE (testset)", f => f.Rmse, result.Rmse, "F4"),
            ("MAE (testset)", f => f.Mae, result.Mae, "F4"),
            ($"Precision@{k}", f => f.PrecisionAtK, result.PrecisionAtK, "F4"),
            ($"Recall@{k}", f => f.RecallAtK, result.RecallAtK, "F4"),
            ($"NDCG@{k}", f => f.NdcgAtK, result.NdcgAtK, "F4"),
            ("Fit time", f => f.FitSeconds, result.FitSeconds, "F3"),
            ("Test time", f => f.TestSeconds, result.TestSeconds, "F3"),
        };

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"Evaluating RMSE, MAE, Precision@{k}, Recall@{k}, NDCG@{k} of algorithm {result.DisplayName} on {result.Folds.Count} split(s) of {dataset}.\n\n");
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
                sb.Append(Cell(value(fold).ToString(format, CultureInfo.InvariantCulture), cellWidth));
            }

            sb.Append(Cell(summary.Mean.ToString(format, CultureInfo.InvariantCulture), cellWidth))
                .Append(summary.Std.ToString(format, CultureInfo.InvariantCulture))
                .Append('\n');
        }

        return sb.ToString();
    }

    private static string Cell(string text, int width) => text.PadRight(width);

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
