using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LatentLens.Api.Recommender.Numerics;

/// <summary>
/// The register tiles of <see cref="SpdInverse"/>: C (8 rows × 2 vectors) plus L Rᵀ over k, L and R packed by l.
/// One method per width, so the tests run both on any machine (a width the CPU lacks runs in software).
/// </summary>
internal static unsafe partial class SpdInverse
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(SpdKernel kernel, float* c, int ldc, float* left, float* right, int k, bool accumulate)
    {
        if (kernel == SpdKernel.V512)
        {
            Tile512(c, ldc, left, right, k, accumulate);
        }
        else
        {
            TileVector(c, ldc, left, right, k, accumulate);
        }
    }

    /// <summary>C (8 × 32) (+)= L Rᵀ over k: <paramref name="left"/> k × 8 and <paramref name="right"/> k × 32, both packed by l.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile512(float* c, int ldc, float* left, float* right, int k, bool accumulate)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate)
        {
            c00 = Vector512.Load(c); c01 = Vector512.Load(c + 16);
            c10 = Vector512.Load(c + ldc); c11 = Vector512.Load(c + ldc + 16);
            c20 = Vector512.Load(c + (2 * ldc)); c21 = Vector512.Load(c + (2 * ldc) + 16);
            c30 = Vector512.Load(c + (3 * ldc)); c31 = Vector512.Load(c + (3 * ldc) + 16);
            c40 = Vector512.Load(c + (4 * ldc)); c41 = Vector512.Load(c + (4 * ldc) + 16);
            c50 = Vector512.Load(c + (5 * ldc)); c51 = Vector512.Load(c + (5 * ldc) + 16);
            c60 = Vector512.Load(c + (6 * ldc)); c61 = Vector512.Load(c + (6 * ldc) + 16);
            c70 = Vector512.Load(c + (7 * ldc)); c71 = Vector512.Load(c + (7 * ldc) + 16);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = Vector512<float>.Zero;
        }

        for (var l = 0; l < k; l++)
        {
            var r0 = Vector512.Load(right);
            var r1 = Vector512.Load(right + 16);
            var x = Vector512.Create(left[0]); c00 = Vector512.FusedMultiplyAdd(x, r0, c00); c01 = Vector512.FusedMultiplyAdd(x, r1, c01);
            x = Vector512.Create(left[1]); c10 = Vector512.FusedMultiplyAdd(x, r0, c10); c11 = Vector512.FusedMultiplyAdd(x, r1, c11);
            x = Vector512.Create(left[2]); c20 = Vector512.FusedMultiplyAdd(x, r0, c20); c21 = Vector512.FusedMultiplyAdd(x, r1, c21);
            x = Vector512.Create(left[3]); c30 = Vector512.FusedMultiplyAdd(x, r0, c30); c31 = Vector512.FusedMultiplyAdd(x, r1, c31);
            x = Vector512.Create(left[4]); c40 = Vector512.FusedMultiplyAdd(x, r0, c40); c41 = Vector512.FusedMultiplyAdd(x, r1, c41);
            x = Vector512.Create(left[5]); c50 = Vector512.FusedMultiplyAdd(x, r0, c50); c51 = Vector512.FusedMultiplyAdd(x, r1, c51);
            x = Vector512.Create(left[6]); c60 = Vector512.FusedMultiplyAdd(x, r0, c60); c61 = Vector512.FusedMultiplyAdd(x, r1, c61);
            x = Vector512.Create(left[7]); c70 = Vector512.FusedMultiplyAdd(x, r0, c70); c71 = Vector512.FusedMultiplyAdd(x, r1, c71);
            left += MR;
            right += 32;
        }

        c00.Store(c); c01.Store(c + 16);
        c10.Store(c + ldc); c11.Store(c + ldc + 16);
        c20.Store(c + (2 * ldc)); c21.Store(c + (2 * ldc) + 16);
        c30.Store(c + (3 * ldc)); c31.Store(c + (3 * ldc) + 16);
        c40.Store(c + (4 * ldc)); c41.Store(c + (4 * ldc) + 16);
        c50.Store(c + (5 * ldc)); c51.Store(c + (5 * ldc) + 16);
        c60.Store(c + (6 * ldc)); c61.Store(c + (6 * ldc) + 16);
        c70.Store(c + (7 * ldc)); c71.Store(c + (7 * ldc) + 16);
    }

    /// <summary>C (8 × 2W) (+)= L Rᵀ over k with W = <see cref="Vector{T}.Count"/>: the same tile in the machine's Vector&lt;float&gt; width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void TileVector(float* c, int ldc, float* left, float* right, int k, bool accumulate)
    {
        var w = Vector<float>.Count;
        var nr = 2 * w;
        Vector<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate)
        {
            c00 = Vector.Load(c); c01 = Vector.Load(c + w);
            c10 = Vector.Load(c + ldc); c11 = Vector.Load(c + ldc + w);
            c20 = Vector.Load(c + (2 * ldc)); c21 = Vector.Load(c + (2 * ldc) + w);
            c30 = Vector.Load(c + (3 * ldc)); c31 = Vector.Load(c + (3 * ldc) + w);
            c40 = Vector.Load(c + (4 * ldc)); c41 = Vector.Load(c + (4 * ldc) + w);
            c50 = Vector.Load(c + (5 * ldc)); c51 = Vector.Load(c + (5 * ldc) + w);
            c60 = Vector.Load(c + (6 * ldc)); c61 = Vector.Load(c + (6 * ldc) + w);
            c70 = Vector.Load(c + (7 * ldc)); c71 = Vector.Load(c + (7 * ldc) + w);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = Vector<float>.Zero;
        }

        for (var l = 0; l < k; l++)
        {
            var r0 = Vector.Load(right);
            var r1 = Vector.Load(right + w);
            var x = new Vector<float>(left[0]); c00 = Vector.FusedMultiplyAdd(x, r0, c00); c01 = Vector.FusedMultiplyAdd(x, r1, c01);
            x = new Vector<float>(left[1]); c10 = Vector.FusedMultiplyAdd(x, r0, c10); c11 = Vector.FusedMultiplyAdd(x, r1, c11);
            x = new Vector<float>(left[2]); c20 = Vector.FusedMultiplyAdd(x, r0, c20); c21 = Vector.FusedMultiplyAdd(x, r1, c21);
            x = new Vector<float>(left[3]); c30 = Vector.FusedMultiplyAdd(x, r0, c30); c31 = Vector.FusedMultiplyAdd(x, r1, c31);
            x = new Vector<float>(left[4]); c40 = Vector.FusedMultiplyAdd(x, r0, c40); c41 = Vector.FusedMultiplyAdd(x, r1, c41);
            x = new Vector<float>(left[5]); c50 = Vector.FusedMultiplyAdd(x, r0, c50); c51 = Vector.FusedMultiplyAdd(x, r1, c51);
            x = new Vector<float>(left[6]); c60 = Vector.FusedMultiplyAdd(x, r0, c60); c61 = Vector.FusedMultiplyAdd(x, r1, c61);
            x = new Vector<float>(left[7]); c70 = Vector.FusedMultiplyAdd(x, r0, c70); c71 = Vector.FusedMultiplyAdd(x, r1, c71);
            left += MR;
            right += nr;
        }

        c00.Store(c); c01.Store(c + w);
        c10.Store(c + ldc); c11.Store(c + ldc + w);
        c20.Store(c + (2 * ldc)); c21.Store(c + (2 * ldc) + w);
        c30.Store(c + (3 * ldc)); c31.Store(c + (3 * ldc) + w);
        c40.Store(c + (4 * ldc)); c41.Store(c + (4 * ldc) + w);
        c50.Store(c + (5 * ldc)); c51.Store(c + (5 * ldc) + w);
        c60.Store(c + (6 * ldc)); c61.Store(c + (6 * ldc) + w);
        c70.Store(c + (7 * ldc)); c71.Store(c + (7 * ldc) + w);
    }
}
