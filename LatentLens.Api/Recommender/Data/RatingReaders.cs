using System.Globalization;
using System.Text;

namespace LatentLens.Api.Recommender.Data;

/// <summary>
/// Readers for the rating formats LatentLens takes: MovieLens 100K (<c>u.data</c>, tab-separated,
/// titles in Latin-1 <c>u.item</c>), MovieLens latest (<c>ratings.csv</c>, <c>movies.csv</c>) and any
/// CSV whose header is <c>user,item,rating[,timestamp]</c>. Every problem is reported as a
/// <see cref="DataFormatException"/> naming the file and the line.
/// </summary>
/// <remarks>
/// The CSV splitting is written here rather than taken from a CSV package: the files are small and
/// regular, and the point of this code is its validation and its messages, line by line. Files are
/// read as a stream of lines of at most <see cref="MaxLineBytes"/> bytes, so memory is bounded by the
/// rows kept, never by what a line holds (a binary file, a sparse file of zeros, a device).
/// </remarks>
internal static class RatingReaders
{
    /// <summary>The longest line taken: a rating line is a few dozen bytes, a title line a few hundred.</summary>
    public const int MaxLineBytes = 64 * 1024;

    public static readonly RatingScale MovieLens100kScale = new(1f, 5f);
    public static readonly RatingScale MovieLensLatestScale = new(0.5f, 5f);

    /// <summary>Reads a MovieLens 100K folder: <c>u.data</c> and, when present, the titles of <c>u.item</c>.</summary>
    public static RatingData ReadMovieLens100k(string folder, string name = "ml-100k")
    {
        var data = Path.Combine(folder, "u.data");
        RequireFile(data);
        var (titles, genres) = ReadMovieLens100kItems(Path.Combine(folder, "u.item"));
        return new RatingData(name, data, ReadTabSeparated(data, MovieLens100kScale), MovieLens100kScale, titles) { Genres = genres };
    }

    /// <summary>Reads a MovieLens latest folder: <c>ratings.csv</c> and, when present, the titles of <c>movies.csv</c>.</summary>
    public static RatingData ReadMovieLensLatest(string folder, string name)
    {
        var ratings = Path.Combine(folder, "ratings.csv");
        RequireFile(ratings);
        var (titles, genres) = ReadMovieLensLatestMovies(Path.Combine(folder, "movies.csv"));
        return new RatingData(name, ratings, ReadCsv(ratings, MovieLensLatestScale), MovieLensLatestScale, titles) { Genres = genres };
    }

    /// <summary>Reads <c>user TAB item TAB rating TAB timestamp</c> lines (u.data, u1.base, u1.test, ...).</summary>
    public static List<RawRating> ReadTabSeparated(string path, RatingScale scale)
    {
        RequireFile(path);
        var ratings = new List<RawRating>();
        using var reader = new LineReader(path, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var lineNumber = reader.LineNumber;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length != 4)
            {
                throw new DataFormatException(path, lineNumber, $"expected 4 tab-separated fields (user, item, rating, timestamp), found {fields.Length}");
            }

            ratings.Add(ParseRating(path, lineNumber, fields, scale));
        }

        if (ratings.Count == 0)
        {
            throw new DataFormatException(path, 0, "the file holds no ratings");
        }

        return ratings;
    }

    /// <summary>
    /// Reads a CSV with a header of three or four columns, read as user, item, rating[, timestamp]
    /// whatever their names. Without a <paramref name="scale"/>, any finite rating is taken.
    /// </summary>
    public static List<RawRating> ReadCsv(string path, RatingScale? scale)
    {
        RequireFile(path);
        var ratings = new List<RawRating>();
        using var reader = new LineReader(path, Encoding.UTF8);
        var header = reader.ReadLine();
        if (header is null || header.Trim().Length == 0)
        {
            throw new DataFormatException(path, header is null ? 0 : 1, "the file is empty: expected a header user,item,rating[,timestamp]");
        }

        var headerFields = SplitCsvLine(header);
        if (headerFields.Count is < 3 or > 4)
        {
            throw new DataFormatException(path, 1, $"expected a header of 3 or 4 columns (user,item,rating[,timestamp]), found {headerFields.Count}");
        }

        if (float.TryParse(headerFields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            throw new DataFormatException(path, 1, $"expected a header user,item,rating[,timestamp], found the data line '{header}'");
        }

        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            var lineNumber = reader.LineNumber;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = SplitCsvLine(line);
            if (fields.SequenceEqual(headerFields, StringComparer.Ordinal))
            {
                throw new DataFormatException(path, lineNumber, "the header appears again (files concatenated?)");
            }

            if (fields.Count != headerFields.Count)
            {
                throw new DataFormatException(path, lineNumber, $"expected {headerFields.Count} fields as in the header, found {fields.Count}");
            }

            ratings.Add(ParseRating(path, lineNumber, fields, scale));
        }

        if (ratings.Count == 0)
        {
            throw new DataFormatException(path, 0, "the file holds a header but no ratings");
        }

        return ratings;
    }

    /// <summary>Reads any ratings file by its shape: a CSV (has a header) or a tab-separated MovieLens 100K file.</summary>
    public static List<RawRating> ReadFile(string path, RatingScale? scale)
    {
        RequireFile(path);
        return path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? ReadCsv(path, scale)
            : ReadTabSeparated(path, scale ?? MovieLens100kScale);
    }

    /// <summary>Titles by item id from MovieLens 100K's <c>u.item</c> (Latin-1, <c>|</c>-separated); empty when the file is absent.</summary>
    public static Dictionary<string, string> ReadMovieLens100kTitles(string path) => ReadMovieLens100kItems(path).Titles;

    /// <summary>The 19 genre flags of <c>u.item</c>, in order, as <c>u.genre</c> names them (genre 0, "unknown", counts as none).</summary>
    public static readonly IReadOnlyList<string> MovieLens100kGenres =
    [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    /// <summary>
    /// Titles and genres by item id from MovieLens 100K's <c>u.item</c>: id|title|release|video release|URL|19 genre flags.
    /// Genre names come from <c>u.genre</c> beside it when present, else <see cref="MovieLens100kGenres"/>; lines without
    /// the flags have no genres. Empty (and no genres) when the file is absent.
    /// </summary>
    public static (Dictionary<string, string> Titles, RawGenres? Genres) ReadMovieLens100kItems(string path)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return (titles, null);
        }

        RequireFile(path);
        var flagNames = ReadMovieLens100kGenreNames(Path.Combine(Path.GetDirectoryName(path) ?? ".", "u.genre"));
        var byItem = new Dictionary<string, string[]>(StringComparer.Ordinal);
        using var reader = new LineReader(path, Encoding.Latin1);
        while (reader.ReadLine() is { } line)
        {
            var lineNumber = reader.LineNumber;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = line.Split('|');
            if (fields.Length < 2)
            {
                throw new DataFormatException(path, lineNumber, "expected item id|title|...");
            }

            titles[fields[0]] = fields[1];
            if (fields.Length == 5 + flagNames.Count)
            {
                var genres = new List<string>();
                for (var g = 1; g < flagNames.Count; g++)
                {
                    if (fields[5 + g] == "1")
                    {
                        genres.Add(flagNames[g]);
                    }
                }

                byItem[fields[0]] = [.. genres];
            }
        }

        return (titles, byItem.Count == 0 ? null : new RawGenres([.. flagNames.Skip(1)], byItem));
    }

    private static IReadOnlyList<string> ReadMovieLens100kGenreNames(string path)
    {
        if (!File.Exists(path) || FileTypes.Of(path) is { } type && type != "regular file")
        {
            return MovieLens100kGenres;
        }

        var names = new List<string>();
        using var reader = new LineReader(path, Encoding.Latin1);
        while (reader.ReadLine() is { } line)
        {
            var fields = line.Split('|');
            if (line.Length > 0 && fields.Length == 2 && fields[1] == names.Count.ToString(CultureInfo.InvariantCulture) && fields[0].Length > 0)
            {
                names.Add(fields[0]);
            }
        }

        // A u.genre that does not read as "name|0", "name|1", ... in order is not trusted over the documented list.
        return names.Count == MovieLens100kGenres.Count && names.Distinct(StringComparer.OrdinalIgnoreCase).Count() == names.Count ? names : MovieLens100kGenres;
    }

    /// <summary>Titles by item id from MovieLens latest's <c>movies.csv</c> (quoted titles may hold commas); empty when absent.</summary>
    public static Dictionary<string, string> ReadMovieLensLatestTitles(string path) => ReadMovieLensLatestMovies(path).Titles;

    /// <summary>
    /// Titles and genres by item id from <c>movies.csv</c> (movieId,title,genres; genres <c>|</c>-separated,
    /// "(no genres listed)" is none). Genre names sorted ordinally; no genres when the file is absent or has no third column.
    /// </summary>
    public static (Dictionary<string, string> Titles, RawGenres? Genres) ReadMovieLensLatestMovies(string path)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return (titles, null);
        }

        RequireFile(path);
        var byItem = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        using var reader = new LineReader(path, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var lineNumber = reader.LineNumber;
            if (lineNumber == 1 || line.Length == 0)
            {
                continue;
            }

            var fields = SplitCsvLine(line);
            if (fields.Count < 2)
            {
                throw new DataFormatException(path, lineNumber, "expected movieId,title,genres");
            }

            titles[fields[0]] = fields[1];
            if (fields.Count > 2)
            {
                var genres = fields[2].Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Where(g => g != "(no genres listed)").Distinct(StringComparer.Ordinal).ToArray();
                names.UnionWith(genres);
                byItem[fields[0]] = genres;
            }
        }

        if (names.Count > ItemGenres.MaxGenres)
        {
            throw new DataFormatException(path, 0, $"{names.Count} distinct genres; a model carries at most {ItemGenres.MaxGenres}");
        }

        return (titles, names.Count == 0 ? null : new RawGenres([.. names], byItem));
    }

    /// <summary>Splits one RFC 4180 line: fields may be quoted, <c>""</c> inside quotes is a quote.</summary>
    internal static List<string> SplitCsvLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var k = 0; k < line.Length; k++)
        {
            var c = line[k];
            if (quoted)
            {
                if (c == '"' && k + 1 < line.Length && line[k + 1] == '"')
                {
                    field.Append('"');
                    k++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }

    private static RawRating ParseRating(string path, long lineNumber, IReadOnlyList<string> fields, RatingScale? scale)
    {
        var user = fields[0].Trim();
        var item = fields[1].Trim();
        if (user.Length == 0 || item.Length == 0)
        {
            throw new DataFormatException(path, lineNumber, user.Length == 0 ? "the user id is empty" : "the item id is empty");
        }

        if (!float.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
        {
            throw new DataFormatException(path, lineNumber, $"the rating '{fields[2]}' is not a number");
        }

        if (scale is { } s && !s.Contains(value))
        {
            throw new DataFormatException(path, lineNumber, FormattableString.Invariant($"the rating {value} is outside the rating scale {s}"));
        }

        long timestamp = 0;
        if (fields.Count > 3 && fields[3].Length > 0
            && !long.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out timestamp))
        {
            throw new DataFormatException(path, lineNumber, $"the timestamp '{fields[3]}' is not an integer");
        }

        return new RawRating(user, item, value, timestamp);
    }

    /// <summary>
    /// Refuses, before anything opens it, what is not a regular file: a missing path, a folder, a FIFO
    /// (opening one waits for a writer), a device (<c>/dev/zero</c> never ends), a socket.
    /// </summary>
    internal static void RequireFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw new DataFormatException(path, 0, "is a folder, expected a ratings file");
        }

        if (!File.Exists(path))
        {
            throw new DataFormatException(path, 0, "no such file");
        }

        if (FileTypes.Of(path) is { } type && type != "regular file")
        {
            throw new DataFormatException(path, 0, $"not a regular file (a {type}); give a ratings file or a data set folder");
        }
    }
}
