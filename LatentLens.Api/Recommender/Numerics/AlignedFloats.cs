using System.Runtime.InteropServices;

namespace LatentLens.Api.Recommender.Numerics;

/// <summary>
/// A copy of a float array in native memory that starts on a cache line (64 bytes), for the SGD kernels.
/// </summary>
/// <remarks>
/// A .NET array's first element sits 16 bytes past an 8-byte-aligned object, so with 32-byte rows (AVX2)
/// either no vector of a row or every other one straddles two cache lines, as the allocation falls. On
/// Zen 3, rows deliberately shifted by 16 bytes trained 0–30 % slower than aligned ones in the same
/// session (docs/benchmarks.md §15). The kernels train on this aligned copy and the model keeps plain arrays
/// (copied back once, after the last epoch).
/// <para>
/// Disposed buffers go back to a small pool (at most <see cref="PoolBytes"/> in all, none larger than that), and the
/// next fit rents them: memory the process already touched, where a fresh allocation costs a page fault per 4 KiB on
/// first use (about 18 µs each on the virtual machine of docs/benchmarks.md §30; a fifth of a MovieLens 100K fit).
/// </para>
/// </remarks>
internal sealed unsafe class AlignedFloats : IDisposable
{
    /// <summary>What the pool keeps at most, in bytes: a few fits' working copies of a mid-sized catalogue.</summary>
    internal const long PoolBytes = 64L << 20;

    private const nuint Alignment = 64;

    private static readonly List<(nint Pointer, int Capacity)> Pool = [];
    private static long _pooledBytes;

    private readonly int _capacity;

    private AlignedFloats(float* pointer, int capacity, int length)
    {
        Pointer = pointer;
        _capacity = capacity;
        Length = length;
    }

    ~AlignedFloats() => Free();

    public float* Pointer { get; private set; }

    public int Length { get; }

    public Span<float> AsSpan()
    {
        ObjectDisposedException.ThrowIf(Pointer == null, this);
        return new Span<float>(Pointer, Length);
    }

    /// <summary>A buffer of <paramref name="length"/> floats, its contents unspecified (a pooled buffer keeps what it held).</summary>
    public static AlignedFloats Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (Pool)
        {
            // The smallest pooled buffer that fits: a small fit does not take a large one from the next.
            var best = -1;
            for (var k = 0; k < Pool.Count; k++)
            {
                if (Pool[k].Capacity >= length && (best < 0 || Pool[k].Capacity < Pool[best].Capacity))
                {
                    best = k;
                }
            }

            if (best >= 0)
            {
                var (pointer, capacity) = Pool[best];
                Pool.RemoveAt(best);
                _pooledBytes -= (long)capacity * sizeof(float);
                return new AlignedFloats((float*)pointer, capacity, length);
            }
        }

        var fresh = Math.Max(1, length);
        return new AlignedFloats((float*)NativeMemory.AlignedAlloc((nuint)fresh * sizeof(float), Alignment), fresh, length);
    }

    public static AlignedFloats CopyOf(ReadOnlySpan<float> source)
    {
        var buffer = Rent(source.Length);
        source.CopyTo(new Span<float>(buffer.Pointer, source.Length));
        return buffer;
    }

    public void CopyTo(Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(Pointer == null, this);
        new ReadOnlySpan<float>(Pointer, Length).CopyTo(destination);
    }

    /// <summary>Back to the pool while it has room for it; freed otherwise.</summary>
    public void Dispose()
    {
        var pointer = Pointer;
        if (pointer != null)
        {
            Pointer = null;
            var bytes = (long)_capacity * sizeof(float);
            lock (Pool)
            {
                if (_pooledBytes + bytes <= PoolBytes)
                {
                    Pool.Add(((nint)pointer, _capacity));
                    _pooledBytes += bytes;
                    pointer = null;
                }
            }

            if (pointer != null)
            {
                NativeMemory.AlignedFree(pointer);
            }
        }

        GC.SuppressFinalize(this);
    }

    // Not disposed: freed, not pooled (a finalizer takes no locks it need not).
    private void Free()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}
