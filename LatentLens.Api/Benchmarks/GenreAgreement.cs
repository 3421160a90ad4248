using System.Text;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Api.Benchmarks;

/// <summary>For one shrinkage λ: the mean genre Jaccard index, and the median and least support of the similar items.</summary>
internal sealed record GenreAgreementPoint(double Shrinkage, double MeanJaccard, int MedianSupport, int MinSupport);

/// <summary>
/// <c>benchmark similar</c>'s loop: how well similar items, ranked as the API ranks them, agree with the
/// catalogue's own genres. For the most-rated items, the mean Jaccard index between an item's genres and each
/// of its k most similar items' genres (MovieLens latest's <c>movies.csv</c>).
/// </summary>
internal sealed class GenreAgreement
{
    private readonly SavedModel _saved;
    private readonly Dictionary<string, HashSet<string>> _genres;
    private readonly float[] _norms;
    private readonly int[] _support;

    public GenreAgreement(SavedModel saved, Dictionary<string, HashSet<string>> genres, int mostRated)
    {
        ArgumentNullException.ThrowIfNull(saved);
        _saved = saved;
        _genres = genres;
        _norms = Ranker.ItemNorms(saved.Model);
        _support = Ranker.ItemSupport(saved);
        Asked = [.. Enumerable.Range(0, saved.Model.Items.Count).OrderByDescending(i => _support[i]).ThenBy(i => i).Take(mostRated)];
    }

    /// <summary>The most-rated items asked about.</summary>
    public IReadOnlyList<int> Asked { get; }

    public GenreAgreementPoint Measure(double lambda, int k)
    {
        var model = _saved.Model;
        var divisors = Ranker.SimilarityDivisors(_norms, _support, lambda);
        var jaccards = new List<double>();
        var supports = new List<int>();
        foreach (var item in Asked)
        {
            var own = _genres.GetValueOrDefault(model.Items.ToRaw(item)) ?? [];
            foreach (var similar in Ranker.Similar(model, _norms, divisors, item, k))
            {
                var theirs = _genres.GetValueOrDefault(model.Items.ToRaw(similar.Item)) ?? [];
                var union = own.Union(theirs).Count();
                jaccards.Add(union == 0 ? 0 : (double)own.Intersect(theirs).Count() / union);
                supports.Add(_support[similar.Item]);
            }
        }

        supports.Sort();
        return new GenreAgreementPoint(lambda, jaccards.Average(), supports[supports.Count / 2], supports[0]);
    }

    /// <summary>Genres by item id; "(no genres listed)" counts as none.</summary>
    public static Dictionary<string, HashSet<string>> ReadGenres(string path)
    {
        var genres = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        long lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (lineNumber == 1 || line.Length == 0)
            {
                continue;
            }

            var fields = RatingReaders.SplitCsvLine(line);
            if (fields.Count < 3)
            {
                throw new DataFormatException(path, lineNumber, "expected movieId,title,genres");
            }

            genres[fields[0]] = [.. fields[2].Split('|').Where(g => g != "(no genres listed)")];
        }

        return genres;
    }
}
