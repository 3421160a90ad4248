using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LatentLens.Api.Recommender.Ranking;

/// <summary>The integer dots of <see cref="QuantizedRows"/>: int8 item rows against the 7-bit vector offset by 64.</summary>
internal sealed partial class QuantizedRows
{
    /// <summary>Which integer kernel computes the approximate dots.</summary>
    internal enum Kernel
    {
        Best,
        Vnni,
        Avx2,
        Portable,
    }

    /// <summary>The kernel <see cref="Kernel.Best"/> stands for on this machine.</summary>
    internal static Kernel Resolve(Kernel kernel) =>
        kernel != Kernel.Best ? kernel : AvxVnni.IsSupported ? Kernel.Vnni : Avx2.IsSupported ? Kernel.Avx2 : Kernel.Portable;

    /// <summary>Σ row[f] · v[f] over <paramref name="width"/> bytes (signed × unsigned), in plain integer arithmetic.</summary>
    internal static unsafe int DotPortable(sbyte* row, byte* v, int width)
    {
        var sum = 0;
        for (var f = 0; f < width; f++)
        {
            sum += row[f] * v[f];
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe int DotVnni(sbyte* row, byte* v, int width)
    {
        var a0 = Vector256<int>.Zero;
        var a1 = Vector256<int>.Zero;
        var f = 0;
        for (; f + 64 <= width; f += 64)
        {
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.Load(v + f), Vector256.Load(row + f));
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.Load(v + f + 32), Vector256.Load(row + f + 32));
        }

        if (f < width)
        {
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.Load(v + f), Vector256.Load(row + f));
        }

        return Vector256.Sum(a0 + a1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe int DotAvx2(sbyte* row, byte* v, int width)
    {
        var ones = Vector256.Create((short)1);
        var a0 = Vector256<int>.Zero;
        for (var f = 0; f < width; f += 32)
        {
            // Pairs of unsigned 7-bit × signed 8-bit products: at most 2 × 127 × 127, no 16-bit saturation.
            var pairs = Avx2.MultiplyAddAdjacent(Vector256.Load(v + f), Vector256.Load(row + f));
            a0 += Avx2.MultiplyAddAdjacent(pairs, ones);
        }

        return Vector256.Sum(a0);
    }
}
