namespace LatentLens.Api.Recommender.Data;

/// <summary>Raw ids (as the data spells them) to dense indices 0..Count-1 and back.</summary>
internal sealed class IdMap
{
    private readonly Dictionary<string, int> _toIndex;
    private readonly List<string> _toRaw;

    // The span lookup of _toIndex, made once (GetAlternateLookup checks the comparer on every call); it follows the dictionary as it grows.
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

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
        }

        return index;
    }

    public bool TryGetIndex(string rawId, out int index) => _toIndex.TryGetValue(rawId, out index);

    /// <summary>The index of the id spelled by <paramref name="rawId"/>, without making a string of it.</summary>
    public bool TryGetIndex(ReadOnlySpan<char> rawId, out int index) => _bySpan.TryGetValue(rawId, out index);

    public string ToRaw(int index) => _toRaw[index];
}
