using System.Globalization;
using System.Text.Json;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Serving;

namespace LatentLens.Api.Apis;

/// <summary>What is wrong with a request: the HTTP status (400 or 413), the field as the client wrote it (<c>ratings[3].rating</c>) and why.</summary>
internal readonly record struct RequestError(int Status, string Field, string Message);

/// <summary>
/// Reads the body of the POST recommendations routes straight into a <see cref="RecommendationQuery"/>, checking each value
/// against the served model as it goes: one pass of <see cref="Utf8JsonReader"/> over the bytes, no document, no string per
/// known item id. Field names are exact (camelCase); a field this API does not know is an error, not ignored, so a typo
/// (<c>"rating"</c> for <c>"ratings"</c>) is not silently a new user with no history.
/// </summary>
internal static class RecommendationBody
{
    [ThreadStatic]
    private static int[]? _seen;

    [ThreadStatic]
    private static int _generation;

    [ThreadStatic]
    private static HashSet<string>? _unknownSeen;

    /// <summary>Fills <paramref name="query"/> from <paramref name="body"/>; null when the body is good. Throws <see cref="JsonException"/> on JSON that does not parse.</summary>
    public static RequestError? Read(ReadOnlySpan<byte> body, LoadedModel loaded, bool needsRatings, RecommendationQuery query)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        ArgumentNullException.ThrowIfNull(query);
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return Bad("body", """The body must be a JSON object: {"ratings": [{"itemId": "1", "rating": 4.5}, ...], "k": 10}.""");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var error = Property(ref reader, loaded, needsRatings, query);
            if (error is not null)
            {
                return error;
            }
        }

        // Anything after the object is not JSON the reader accepts: it throws, and the caller answers 400.
        reader.Read();
        return null;
    }

    private static RequestError? Property(ref Utf8JsonReader reader, LoadedModel loaded, bool needsRatings, RecommendationQuery query)
    {
        if (reader.ValueTextEquals("ratings"u8))
        {
            reader.Read();
            return reader.TokenType == JsonTokenType.Null ? null : Ratings(ref reader, loaded, needsRatings, query);
        }

        if (reader.ValueTextEquals("k"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var k) || k is < 1 or > ApiProblems.MaxK)
            {
                return Bad("k", $"k must be a whole number from 1 to {ApiProblems.MaxK}.");
            }

            query.K = k;
            return null;
        }

        if (reader.ValueTextEquals("excludeRated"u8))
        {
            reader.Read();
            query.ExcludeRated = Bool(ref reader, query.ExcludeRated, out var bad);
            return bad ? Bad("excludeRated", "excludeRated must be true or false.") : null;
        }

        if (reader.ValueTextEquals("explain"u8))
        {
            reader.Read();
            query.Explain = Bool(ref reader, query.Explain, out var bad);
            return bad ? Bad("explain", "explain must be true or false.") : null;
        }

        if (reader.ValueTextEquals("genres"u8))
        {
            reader.Read();
            return reader.TokenType == JsonTokenType.Null ? null : Genres(ref reader, loaded, query);
        }

        if (reader.ValueTextEquals("exclude"u8))
        {
            reader.Read();
            return reader.TokenType == JsonTokenType.Null ? null : Ids(ref reader, "exclude", loaded, query.Exclude, out _);
        }

        if (reader.ValueTextEquals("include"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }

            var error = Ids(ref reader, "include", loaded, query.Include, out var given);
            query.HasInclude |= given > 0;
            return error;
        }

        var name = Name(ref reader);
        return Bad(name, $"'{name}' is not a field of this body; the fields are ratings, k, excludeRated, genres, exclude, include and explain.");
    }

    /// <summary>true or false; null keeps <paramref name="fallback"/>; anything else is <paramref name="bad"/>.</summary>
    private static bool Bool(ref Utf8JsonReader reader, bool fallback, out bool bad)
    {
        bad = reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null);
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => fallback,
        };
    }

    private static RequestError? Ratings(ref Utf8JsonReader reader, LoadedModel loaded, bool needsRatings, RecommendationQuery query)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return Bad("ratings", """ratings must be an array of {"itemId": "1", "rating": 4.5}.""");
        }

        var model = loaded.Model;
        var seen = Seen(model.Items.Count, out var generation);
        _unknownSeen?.Clear();
        var n = 0;
        Span<char> canonical = stackalloc char[20];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (n == RecommendationQuery.MaxRatings)
            {
                return new RequestError(StatusCodes.Status413PayloadTooLarge, "ratings", $"A history holds at most {RecommendationQuery.MaxRatings:N0} ratings.");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return Bad($"ratings[{n}]", """Each rating must be an object {"itemId": "1", "rating": 4.5}.""");
            }

            var length = -1;
            var rating = float.NaN;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("itemId"u8))
                {
                    reader.Read();
                    if (!TryId(ref reader, canonical, out length))
                    {
                        return Bad($"ratings[{n}].itemId", "itemId must be an item id: a whole number, as a JSON string or number.");
                    }
                }
                else if (reader.ValueTextEquals("rating"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        rating = float.NaN;
                    }
                    else if (reader.TokenType != JsonTokenType.Number || !RatingNumber.TryRead(ref reader, out var value) || !double.IsFinite(value))
                    {
                        return Bad($"ratings[{n}].rating", "rating must be a finite JSON number.");
                    }
                    else if (!model.Scale.Contains((float)value))
                    {
                        return Bad($"ratings[{n}].rating", string.Create(CultureInfo.InvariantCulture, $"rating {value} is outside the model's rating scale {model.Scale}."));
                    }
                    else
                    {
                        rating = (float)value;
                    }
                }
                else
                {
                    var name = Name(ref reader);
                    return Bad($"ratings[{n}].{name}", $"'{name}' is not a field of a rating; a rating has itemId and rating.");
                }
            }

            if (length < 0)
            {
                return Bad($"ratings[{n}].itemId", "Each rating needs an itemId.");
            }

            if (float.IsNaN(rating) && needsRatings)
            {
                return Bad($"ratings[{n}].rating", $"The model being served ({model.Algorithm}) folds in rating values: each rating needs one.");
            }

            var id = canonical[..length];
            if (model.Items.TryGetIndex(id, out var item))
            {
                if (seen[item] == generation)
                {
                    return Bad($"ratings[{n}].itemId", $"Item '{id}' is rated twice; give each item once.");
                }

                seen[item] = generation;
                query.History.Add(new HistoryEntry(item, rating));
            }
            else
            {
                var raw = id.ToString();
                if (!(_unknownSeen ??= new HashSet<string>(StringComparer.Ordinal)).Add(raw))
                {
                    return Bad($"ratings[{n}].itemId", $"Item '{raw}' is rated twice; give each item once.");
                }

                query.UnknownItems.Add(raw);
            }

            n++;
        }

        return null;
    }

    private static RequestError? Genres(ref Utf8JsonReader reader, LoadedModel loaded, RecommendationQuery query)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return Bad("genres", """genres must be an array of genre names, e.g. ["Comedy", "Drama"].""");
        }

        var n = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var name = reader.TokenType == JsonTokenType.String ? StringOrNull(ref reader) : null;
            if (GenreProblem(loaded, name, out var bit) is { } problem)
            {
                return Bad($"genres[{n}]", problem);
            }

            query.GenreMask |= bit;
            n++;
        }

        return null;
    }

    /// <summary>Null when <paramref name="name"/> is a genre of the model (its bit in <paramref name="bit"/>), else what is wrong.</summary>
    public static string? GenreProblem(LoadedModel loaded, string? name, out ulong bit)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        bit = 0;
        if (loaded.Saved.Genres is not { } genres)
        {
            return $"The model being served ({loaded.Origin.RunName}) carries no genres: it was trained before models saved them, or on data without them. Retrain it to filter by genre.";
        }

        return name is not null && genres.TryGetBit(name, out bit)
            ? null
            : $"'{name}' is not a genre of the model; the genres are {string.Join(", ", genres.Names)}.";
    }

    private static RequestError? Ids(ref Utf8JsonReader reader, string field, LoadedModel loaded, List<int> into, out int given)
    {
        given = 0;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return Bad(field, $"""{field} must be an array of item ids, e.g. ["1", "2"].""");
        }

        Span<char> canonical = stackalloc char[20];
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (given == RecommendationQuery.MaxRatings)
            {
                return new RequestError(StatusCodes.Status413PayloadTooLarge, field, $"{field} lists at most {RecommendationQuery.MaxRatings:N0} ids.");
            }

            if (!TryId(ref reader, canonical, out var length))
            {
                return Bad($"{field}[{given}]", "Each id must be a whole number, as a JSON string or number.");
            }

            // An id the model does not know can never be recommended: nothing to exclude, nothing to include.
            if (loaded.Model.Items.TryGetIndex(canonical[..length], out var item))
            {
                into.Add(item);
            }

            given++;
        }

        return null;
    }

    /// <summary>An id as a JSON string of digits or a whole JSON number, written canonically (no leading zeros) into <paramref name="canonical"/>.</summary>
    private static bool TryId(ref Utf8JsonReader reader, scoped Span<char> canonical, out int length)
    {
        length = -1;
        long value;
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetInt64(out value) || value < 0)
            {
                return false;
            }
        }
        else if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            var bytes = reader.ValueSpan;
            if (bytes.IsEmpty || bytes.Length > 19 || bytes.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
            {
                return false;
            }

            if ((bytes[0] != (byte)'0' || bytes.Length == 1) && bytes.Length <= 18)
            {
                // Already canonical (the common case): the digits as they are, without a round trip through a number.
                for (var c = 0; c < bytes.Length; c++)
                {
                    canonical[c] = (char)bytes[c];
                }

                length = bytes.Length;
                return true;
            }

            if (!long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out value))
            {
                return false;
            }
        }
        else if (reader.TokenType == JsonTokenType.String)
        {
            if (!ApiProblems.TryId(StringOrNull(ref reader), out var id))
            {
                return false;
            }

            value = long.Parse(id, CultureInfo.InvariantCulture);
        }
        else
        {
            return false;
        }

        return value.TryFormat(canonical, out length, default, CultureInfo.InvariantCulture);
    }

    // GetString throws on text that is not valid UTF-16 (a lone surrogate such as "\ud800"): such a value is no id or genre.
    private static string? StringOrNull(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The current property's name, for messages (shortened: a client may send a long one).</summary>
    private static string Name(ref Utf8JsonReader reader)
    {
        var name = StringOrNull(ref reader) ?? "?";
        return name.Length <= 40 ? name : string.Concat(name.AsSpan(0, 40), "…");
    }

    private static RequestError Bad(string field, string message) => new(StatusCodes.Status400BadRequest, field, message);

    /// <summary>This thread's marks of the items seen in the history; a new generation per request instead of clearing.</summary>
    private static int[] Seen(int items, out int generation)
    {
        var seen = _seen is { } s && s.Length >= items ? s : _seen = new int[items];
        if (++_generation == int.MaxValue)
        {
            Array.Clear(seen);
            _generation = 1;
        }

        generation = _generation;
        return seen;
    }
}
