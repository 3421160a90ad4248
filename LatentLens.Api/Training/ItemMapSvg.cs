using System.Globalization;
using System.Net;
using System.Text;
using LatentLens.Api.Recommender.Models;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace LatentLens.Api.Training;

/// <summary>
/// A picture of the items in latent space: the item factors projected on their first two principal
/// components (PCA with MathNet.Numerics), every item a dot, the most-rated items labelled with
/// their titles. SVG, which the MLflow UI shows as an image.
/// </summary>
internal static class ItemMapSvg
{
    private const int Width = 900;
    private const int Height = 700;
    private const int Margin = 40;

    /// <summary>Null when the model has fewer than two factors (nothing to project).</summary>
    public static string? Render(FactorModel model, IReadOnlyDictionary<string, string> titles, int[] ratingCounts, int labels = 20)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ratingCounts);
        var n = model.Items.Count;
        if (model.Factors < 2 || n < 3)
        {
            return null;
        }

        var x = Matrix<double>.Build.Dense(n, model.Factors, (i, f) => model.ItemFactors[(i * model.Stride) + f]);
        var mean = x.ColumnSums() / n;
        for (var i = 0; i < n; i++)
        {
            x.SetRow(i, x.Row(i) - mean);
        }

        var covariance = x.TransposeThisAndMultiply(x) / Math.Max(1, n - 1);
        var evd = covariance.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, model.Factors).OrderByDescending(j => evd.EigenValues[j].Real).Take(2).ToArray();
        var components = Matrix<double>.Build.DenseOfColumnVectors(evd.EigenVectors.Column(order[0]), evd.EigenVectors.Column(order[1]));
        var projected = x * components;
        var total = evd.EigenValues.Sum(v => v.Real);
        var explained = order.Select(j => total > 0 ? evd.EigenValues[j].Real / total : 0).ToArray();

        double minX = projected.Column(0).Minimum(), maxX = projected.Column(0).Maximum();
        double minY = projected.Column(1).Minimum(), maxY = projected.Column(1).Maximum();
        double Sx(double v) => Margin + ((v - minX) / Math.Max(1e-12, maxX - minX) * (Width - (2 * Margin)));
        double Sy(double v) => Height - Margin - ((v - minY) / Math.Max(1e-12, maxY - minY) * (Height - (2 * Margin)));

        var maxCount = Math.Max(1, ratingCounts.DefaultIfEmpty(1).Max());
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{Margin}\" y=\"24\" font-size=\"15\">Items in latent space ({model.Algorithm}, {model.Factors} factors): PCA components 1 ({explained[0]:P0}) and 2 ({explained[1]:P0})</text>\n");
        for (var i = 0; i < n; i++)
        {
            var count = i < ratingCounts.Length ? ratingCounts[i] : 0;
            var opacity = 0.15 + (0.75 * Math.Sqrt((double)count / maxCount));
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Sx(projected[i, 0]):F1}\" cy=\"{Sy(projected[i, 1]):F1}\" r=\"2.2\" fill=\"#3465a4\" fill-opacity=\"{opacity:F2}\"/>\n");
        }

        var popular = Enumerable.Range(0, n).Where(i => i < ratingCounts.Length).OrderByDescending(i => ratingCounts[i]).ThenBy(i => i).Take(labels);
        foreach (var i in popular)
        {
            var id = model.Items.ToRaw(i);
            var title = WebUtility.HtmlEncode(titles.TryGetValue(id, out var t) ? t : id);
            var (cx, cy) = (Sx(projected[i, 0]), Sy(projected[i, 1]));
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"4\" fill=\"#cc0000\"/>\n");
            // Labels on the right half run leftwards, so none leaves the picture.
            var (labelX, anchor) = cx > Width / 2 ? (cx - 6, "end") : (cx + 6, "start");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{labelX:F1}\" y=\"{cy + 4:F1}\" font-size=\"11\" fill=\"#222\" text-anchor=\"{anchor}\">{title}</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }
}
