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
/// </remarks>
internal sealed unsafe class AlignedFloats : IDisposable
{
    private const nuint Alignment = 64;

    private AlignedFloats(int length)
    {
        Length = length;
        Pointer = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, length) * sizeof(float), Alignment);
    }

    ~AlignedFloats() => Free();

    public float* Pointer { get; private set; }

    public int Length { get; }

    public Span<float> AsSpan()
    {
        ObjectDisposedException.ThrowIf(Pointer == null, this);
        return new Span<float>(Pointer, Length);
    }

    public static AlignedFloats CopyOf(float[] source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var buffer = new AlignedFloats(source.Length);
        source.AsSpan().CopyTo(new Span<float>(buffer.Pointer, source.Length));
        return buffer;
    }

    public void CopyTo(float[] destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(Pointer == null, this);
        new ReadOnlySpan<float>(Pointer, Length).CopyTo(destination);
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (Pointer != null)
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}
