namespace LatentLens.Api.Recommender.Data;

/// <summary>
/// Raw ids (as the data spells them) to dense indices 0..Count-1 and back. Where every id is a whole number written
/// canonically (MovieLens' are), a span lookup parses it and probes an open-addressing table of ints: one cache line
/// per lookup instead of the dictionary's bucket, entry and string (the API looks up every id of a posted history).
/// </summary>
internal sealed class IdMap
{
    private readonly Dictionary<string, int> _toIndex;
    private readonly List<string> _toRaw;

    // The span lookup of _toIndex, made once (GetAlternateLookup checks the comparer on every call); it follows the dictionary as it grows.
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    // Built on the first span lookup after a change: (id << 32 | index + 1) per slot, 0 empty; an empty array when
    // some id is not a canonical whole number below 2^31 (the dictionary answers then).
    private long[]? _numeric;

    public IdMap()
    {
        _toIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        _toRaw = [];
        _bySpan = _toIndex.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public IdMap(IEnumerable<string> rawIds)
        : this()
    {
        foreach (var id in rawIds)
        {
            if (!_toIndex.TryAdd(id, _toRaw.Count))
            {
                throw new ArgumentException($"Duplicate id '{id}'.", nameof(rawIds));
            }

            _toRaw.Add(id);
        }
    }

    public int Count => _toRaw.Count;

    public IReadOnlyList<string> RawIds => _toRaw;

    /// <summary>The index of <paramref name="rawId"/>, adding it when new.</summary>
    public int GetOrAdd(string rawId)
    {
        if (!_toIndex.TryGetValue(rawId, out var index))
        {
            index = _toRaw.Count;
            _toIndex.Add(rawId, index);
            _toRaw.Add(rawId);
            _numeric = null;
        }

        return index;
    }

    public bool TryGetIndex(string rawId, out int index) => _toIndex.TryGetValue(rawId, out index);

    /// <summary>The index of the id spelled by <paramref name="rawId"/>, without making a string of it.</summary>
    public bool TryGetIndex(ReadOnlySpan<char> rawId, out int index)
    {
        var table = _numeric ?? BuildNumeric();
        if (table.Length == 0)
        {
            return _bySpan.TryGetValue(rawId, out index);
        }

        index = -1;
        if (!TryCanonical(rawId, out var id))
        {
            // Every id is canonical: a spelling that is not cannot be one of them.
            return false;
        }

        var mask = table.Length - 1;
        for (var slot = Slot(id, mask); ; slot = (slot + 1) & mask)
        {
            var entry = table[slot];
            if (entry == 0)
            {
                return false;
            }

            if ((int)(entry >> 32) == id)
            {
                index = (int)(entry & 0xFFFFFFFF) - 1;
                return true;
            }
        }
    }

    private static int Slot(int id, int mask) => (int)(((uint)id * 2654435769u) >> 7) & mask;

    /// <summary>A whole number below 2^31 spelled without sign, spaces or leading zeros.</summary>
    private static bool TryCanonical(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 10 || (text[0] == '0' && text.Length > 1))
        {
            return false;
        }

        long v = 0;
        foreach (var c in text)
        {
            if ((uint)(c - '0') > 9)
            {
                return false;
            }

            v = (v * 10) + (c - '0');
        }

        if (v > int.MaxValue)
        {
            return false;
        }

        value = (int)v;
        return true;
    }

    private long[] BuildNumeric()
    {
        var count = _toRaw.Count;
        var size = 16;
        while (size < count * 2)
        {
            size *= 2;
        }

        var table = new long[size];
        for (var i = 0; i < count; i++)
        {
            if (!TryCanonical(_toRaw[i], out var id))
            {
                table = [];
                break;
            }

            var slot = Slot(id, size - 1);
            while (table[slot] != 0)
            {
                slot = (slot + 1) & (size - 1);
            }

            table[slot] = ((long)id << 32) | (uint)(i + 1);
        }

        // Published whole: a reader sees either null (and builds its own) or a finished table; not published when an id
        // was added meanwhile (the map is read-only once shared, but a stale table must never outlive an add).
        if (_toRaw.Count == count)
        {
            Volatile.Write(ref _numeric, table);
        }

        return table;
    }

    public string ToRaw(int index) => _toRaw[index];
}
