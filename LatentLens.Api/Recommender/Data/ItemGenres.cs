namespace LatentLens.Api.Recommender.Data;

/// <summary>
/// The genres of a catalogue as read from its files (MovieLens latest <c>movies.csv</c>, MovieLens 100K <c>u.item</c>):
/// the genre names in the data set's order and each item's genres by raw item id.
/// </summary>
internal sealed record RawGenres(IReadOnlyList<string> Names, IReadOnlyDictionary<string, string[]> ByItem);

/// <summary>
/// The genres a model carries: the names, and per item (dense index) a bitmask of them, so that "any of these genres"
/// is one AND per item at request time. At most <see cref="MaxGenres"/> names (MovieLens has 19 or 20).
/// </summary>
internal sealed class ItemGenres
{
    public const int MaxGenres = 64;

    private readonly Dictionary<string, int> _byName;

    public ItemGenres(IReadOnlyList<string> names, ulong[] masks)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(masks);
        if (names.Count > MaxGenres)
        {
            throw new ArgumentException($"{names.Count} genres; a model carries at most {MaxGenres}.", nameof(names));
        }

        _byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var g = 0; g < names.Count; g++)
        {
            if (string.IsNullOrEmpty(names[g]) || !_byName.TryAdd(names[g], g))
            {
                throw new ArgumentException($"Genre {g} ('{names[g]}') is empty or named twice.", nameof(names));
            }
        }

        var unused = names.Count == MaxGenres ? 0UL : ~0UL << names.Count;
        var bad = Array.FindIndex(masks, m => (m & unused) != 0);
        if (bad >= 0)
        {
            throw new ArgumentException($"Item {bad} has a genre beyond the {names.Count} named.", nameof(masks));
        }

        Names = names;
        Masks = masks;
    }

    /// <summary>The genre names, in the order of the mask bits.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Per item (dense index), bit g set when the item has genre g.</summary>
    public ulong[] Masks { get; }

    /// <summary>The bit of genre <paramref name="name"/> (case-insensitive); false for a genre the model does not know.</summary>
    public bool TryGetBit(ReadOnlySpan<char> name, out ulong bit)
    {
        bit = 0;
        if (!_byName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var g))
        {
            return false;
        }

        bit = 1UL << g;
        return true;
    }

    /// <summary>The genre indices of <paramref name="item"/>, ascending.</summary>
    public IEnumerable<int> Of(int item)
    {
        var mask = Masks[item];
        for (var g = 0; mask != 0; g++, mask >>= 1)
        {
            if ((mask & 1) != 0)
            {
                yield return g;
            }
        }
    }

    /// <summary>The model's genres from the data's: one mask per item of <paramref name="items"/>; null when the data has none.</summary>
    public static ItemGenres? From(IdMap items, RawGenres? genres)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (genres is null || genres.Names.Count == 0)
        {
            return null;
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var g = 0; g < genres.Names.Count; g++)
        {
            index[genres.Names[g]] = g;
        }

        var masks = new ulong[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            if (genres.ByItem.TryGetValue(items.ToRaw(i), out var names))
            {
                foreach (var name in names)
                {
                    masks[i] |= 1UL << index[name];
                }
            }
        }

        return new ItemGenres(genres.Names, masks);
    }
}
