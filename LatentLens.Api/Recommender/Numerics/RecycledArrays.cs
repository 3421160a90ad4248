namespace LatentLens.Api.Recommender.Numerics;

/// <summary>
/// Float arrays a caller knows to be dead, kept for the next fit that needs one of the same length: the k-fold
/// evaluation gives back each fold's model rows once the fold is scored, and the next fold's FunkSvd draws its
/// initial rows into them (<see cref="FactorLayout.RandomNormalRows"/>).
/// </summary>
/// <remarks>
/// Why: a fresh array is fresh memory, and a fresh page costs a fault on first touch, about 16 µs per 4 KiB on the
/// virtual machine of docs/benchmarks.md §30 (a C program touching 64 MiB measures it): 5 ms of a 29 ms MovieLens 100K
/// fit went to faulting in the model's 1.2 MB of rows. The garbage collector would only reuse the dead fold's memory
/// after a full collection (the arrays are on the large object heap), which costs more than that here. Bounded
/// (<see cref="MaxArrays"/>, <see cref="MaxBytes"/>); an array given back must have no other reader.
/// </remarks>
internal static class RecycledArrays
{
    internal const int MaxArrays = 8;
    internal const long MaxBytes = 256L << 20;

    private static readonly Lock Gate = new();
    private static readonly List<float[]> Kept = [];

    /// <summary>A zeroed array of <paramref name="length"/> floats: a kept one when there is one of that length, else a new one.</summary>
    public static float[] Take(int length)
    {
        lock (Gate)
        {
            for (var k = Kept.Count - 1; k >= 0; k--)
            {
                if (Kept[k].Length == length)
                {
                    var array = Kept[k];
                    Kept.RemoveAt(k);
                    Array.Clear(array);
                    return array;
                }
            }
        }

        return new float[length];
    }

    /// <summary>Keeps <paramref name="arrays"/> for a later <see cref="Take"/>; the caller promises nothing else reads or writes them.</summary>
    public static void GiveBack(params ReadOnlySpan<float[]?> arrays)
    {
        lock (Gate)
        {
            foreach (var array in arrays)
            {
                if (array is null || array.Length == 0 || Kept.Exists(a => ReferenceEquals(a, array)))
                {
                    continue;
                }

                var bytes = (long)array.Length * sizeof(float);
                if (bytes > MaxBytes)
                {
                    continue;
                }

                var total = bytes;
                foreach (var kept in Kept)
                {
                    total += (long)kept.Length * sizeof(float);
                }

                // The oldest go first, until the new one fits.
                while (Kept.Count > 0 && (Kept.Count >= MaxArrays || total > MaxBytes))
                {
                    total -= (long)Kept[0].Length * sizeof(float);
                    Kept.RemoveAt(0);
                }

                Kept.Add(array);
            }
        }
    }

    /// <summary>Drops every kept array (tests).</summary>
    internal static void Clear()
    {
        lock (Gate)
        {
            Kept.Clear();
        }
    }
}
