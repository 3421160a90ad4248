using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LatentLens.Api.Recommender.Numerics;

/// <summary>Which micro-kernel <see cref="SpdInverse"/> runs: 512-bit vectors, or <see cref="Vector{T}"/> (256 bits on AVX2, 128 without).</summary>
internal enum SpdKernel
{
    /// <summary>Whatever the machine accelerates best.</summary>
    Auto,

    /// <summary>Two <see cref="Vector512{T}"/> per row of a tile (runs in software where AVX-512 is off).</summary>
    V512,

    /// <summary>Two <see cref="Vector{T}"/> per row of a tile.</summary>
    Vector,
}

/// <summary>
/// The inverse of a symmetric positive-definite float matrix, in place, by a blocked Gauss-Jordan sweep without
/// pivoting (which positive definiteness makes safe: every pivot block is a Schur complement, itself positive
/// definite). Sweeping block p with D = A_pp⁻¹ (a small inverse in double) is A_ij −= (A_ip D) A_pj for every
/// i, j outside p, then A_ip = −A_ip D, A_pj = D A_pj and A_pp = D; after the last block A holds A⁻¹.
/// Only the lower triangle is read and kept up to date, so the n³/2 multiply-adds (n³ flops) of a Cholesky inverse
/// (factor, invert the factor, multiply) are spent here too, but all of them in one rank-b update per block: an
/// 8 × 2-vector register tile over packed panels, spread over the cores.
/// </summary>
/// <remarks>
/// In the lower triangle after blocks 0..p−1 were swept, an entry (i, j) with i unswept and j swept is the
/// matrix's own M_ij, and its mirror M_ji is −M_ij; the gathers below apply that sign. Measured against
/// MathNet's dense double inverse in the tests (SpdInverseTests).
/// </remarks>
internal static unsafe partial class SpdInverse
{
    /// <summary>The order must be a multiple of this (pad with an identity block): the block and both tile sizes divide it.</summary>
    public const int Granule = 32;

    private const int MR = 8;

    /// <summary>The order padded to <see cref="Granule"/>.</summary>
    public static int PaddedOrder(int n) => (n + Granule - 1) / Granule * Granule;

    /// <summary>
    /// Inverts the n × n row-major matrix at <paramref name="a"/> (leading dimension n, n a multiple of
    /// <see cref="Granule"/>): its lower triangle is read and replaced by the inverse's; the upper triangle is scratch.
    /// Throws <see cref="ArithmeticException"/> when a pivot is not positive (the matrix is not positive definite in float).
    /// </summary>
    public static void InvertLower(float* a, int n, int threads, SpdKernel kernel = SpdKernel.Auto, int block = 256)
    {
        if (n % Granule != 0 || block % Granule != 0 || block <= 0)
        {
            throw new ArgumentException($"The order {n} and block {block} must be multiples of {Granule}.");
        }

        if (kernel == SpdKernel.Auto)
        {
            kernel = Vector512.IsHardwareAccelerated ? SpdKernel.V512 : SpdKernel.Vector;
        }

        var nr = kernel == SpdKernel.V512 ? 32 : 2 * Vector<float>.Count;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        block = Math.Min(block, n);
        var w = new float[n * block];       // the pivot column as stored (W), one row per matrix row
        var v = new float[n * block];       // the pivot column with its true signs (V)
        var z = new float[n * block];       // Z = V D
        var packedW = new float[n * block]; // W as NR-wide panels
        var packedV = new float[n * block]; // V as MR-high panels
        var packedZ = new float[n * block]; // −Z as MR-high panels
        var d = new double[block * block];
        var packedD = new float[block * block];
        for (var p0 = 0; p0 < n; p0 += block)
        {
            var b = Math.Min(block, n - p0);
            var p1 = p0 + b;

            // D = A_pp⁻¹ in double.
            for (var t = 0; t < b; t++)
            {
                for (var s = 0; s <= t; s++)
                {
                    d[(t * b) + s] = d[(s * b) + t] = a[((long)(p0 + t) * n) + p0 + s];
                }
            }

            InvertSmall(d.AsSpan(0, b * b), b);

            // W_i (the stored pivot column: row p's entries left of the block, column p's below it) and V (true signs).
            Parallel.For(0, n / MR, options, tile =>
            {
                for (var i = tile * MR; i < (tile + 1) * MR; i++)
                {
                    var wRow = w.AsSpan(i * b, b);
                    var vRow = v.AsSpan(i * b, b);
                    if (i < p0)
                    {
                        for (var t = 0; t < b; t++)
                        {
                            wRow[t] = a[((long)(p0 + t) * n) + i];
                            vRow[t] = -wRow[t];
                        }
                    }
                    else if (i >= p1)
                    {
                        new ReadOnlySpan<float>(a + ((long)i * n) + p0, b).CopyTo(wRow);
                        wRow.CopyTo(vRow);
                    }
                    else
                    {
                        wRow.Clear();
                        vRow.Clear();
                    }
                }
            });

            fixed (float* pw = packedW, pv = packedV, pz = packedZ, pd = packedD, zz = z, ww = w, vv = v)
            {
                var pwp = pw;
                var pvp = pv;
                var pzp = pz;
                var pdp = pd;
                var zp = zz;
                var wp = ww;
                var vp = vv;
                PackColumns(d, b, pdp, nr);
                Parallel.For(0, n / nr, options, tile => PackRows(wp + ((long)tile * nr * b), nr, b, nr, pwp + ((long)tile * nr * b)));
                Parallel.For(0, n / MR, options, tile => PackRows(vp + ((long)tile * MR * b), MR, b, MR, pvp + ((long)tile * MR * b)));

                // Z = V D, then −Z packed as the left panels of the update.
                Parallel.For(0, n / MR, options, tile =>
                {
                    var r0 = tile * MR;
                    if (r0 >= p0 && r0 < p1)
                    {
                        return;
                    }

                    for (var c0 = 0; c0 < b; c0 += nr)
                    {
                        Tile(kernel, zp + ((long)r0 * b) + c0, b, pvp + ((long)r0 * b), pdp + ((long)c0 * b), b, accumulate: false);
                    }

                    for (var l = 0; l < b; l++)
                    {
                        for (var ii = 0; ii < MR; ii++)
                        {
                            pzp[((long)r0 * b) + (l * MR) + ii] = -zp[((long)(r0 + ii) * b) + l];
                        }
                    }
                });

                // A_ij += (−Z_i) W_jᵀ over the lower triangle outside the pivot block, one column strip at a time
                // (its W panel stays in the first-level cache while the Z panels stream past).
                var strips = n / nr;
                Parallel.For(0, strips, options, strip =>
                {
                    // The longest strips (leftmost) first, so the last ones to finish are short.
                    var c0 = strip * nr;
                    if (c0 >= p0 && c0 < p1)
                    {
                        return;
                    }

                    for (var r0 = c0 / MR * MR; r0 < n; r0 += MR)
                    {
                        if (r0 >= p0 && r0 < p1)
                        {
                            continue;
                        }

                        Tile(kernel, a + ((long)r0 * n) + c0, n, pzp + ((long)r0 * b), pwp + ((long)c0 * b), b, accumulate: true);
                    }
                });

                // The pivot column and row become −Z (see the remarks for the signs); the pivot block D.
                Parallel.For(0, n / MR, options, tile =>
                {
                    for (var i = tile * MR; i < (tile + 1) * MR; i++)
                    {
                        if (i >= p1)
                        {
                            for (var t = 0; t < b; t++)
                            {
                                a[((long)i * n) + p0 + t] = -zp[((long)i * b) + t];
                            }
                        }
                        else if (i < p0)
                        {
                            for (var t = 0; t < b; t++)
                            {
                                a[((long)(p0 + t) * n) + i] = -zp[((long)i * b) + t];
                            }
                        }
                    }
                });
            }

            for (var t = 0; t < b; t++)
            {
                for (var s = 0; s <= t; s++)
                {
                    a[((long)(p0 + t) * n) + p0 + s] = (float)d[(t * b) + s];
                }
            }
        }
    }

    /// <summary>Copies the lower triangle onto the upper one, so that every row of the symmetric matrix is whole.</summary>
    public static void MirrorLower(float* a, int n, int threads)
    {
        const int Tile = 64;
        var tiles = (n + Tile - 1) / Tile;
        Parallel.For(0, tiles, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, bi =>
        {
            for (var bj = bi; bj < tiles; bj++)
            {
                for (var i = bi * Tile; i < Math.Min(n, (bi + 1) * Tile); i++)
                {
                    for (var j = Math.Max(i + 1, bj * Tile); j < Math.Min(n, (bj + 1) * Tile); j++)
                    {
                        a[((long)i * n) + j] = a[((long)j * n) + i];
                    }
                }
            }
        });
    }

    /// <summary>In-place Gauss-Jordan inverse of a small symmetric positive-definite matrix in double (full storage).</summary>
    internal static void InvertSmall(Span<double> m, int b)
    {
        var pivotRow = new double[b];
        for (var p = 0; p < b; p++)
        {
            var pivot = m[(p * b) + p];
            if (!(pivot > 0) || !double.IsFinite(pivot))
            {
                throw new ArithmeticException(FormattableString.Invariant($"A pivot is {pivot}: the matrix is not positive definite in this precision (raise the regularisation)."));
            }

            var inverse = 1 / pivot;
            m.Slice(p * b, b).CopyTo(pivotRow);
            for (var i = 0; i < b; i++)
            {
                if (i == p)
                {
                    continue;
                }

                var f = m[(i * b) + p] * inverse;
                DenseKernels.Axpy(pivotRow, -f, m.Slice(i * b, b));
                m[(i * b) + p] = -f;
            }

            var row = m.Slice(p * b, b);
            for (var j = 0; j < b; j++)
            {
                row[j] *= inverse;
            }

            row[p] = inverse;
        }
    }

    /// <summary>Panels of <paramref name="height"/> rows of the row-major rows × <paramref name="k"/> source, each stored column by column (element l of every row, then l + 1).</summary>
    private static void PackRows(float* source, int rows, int k, int height, float* target)
    {
        for (var r0 = 0; r0 < rows; r0 += height)
        {
            var panel = target + ((long)r0 * k);
            for (var r = 0; r < height; r++)
            {
                var row = source + ((long)(r0 + r) * k);
                for (var l = 0; l < k; l++)
                {
                    panel[(l * height) + r] = row[l];
                }
            }
        }
    }

    /// <summary>The symmetric b × b double matrix as NR-wide float panels (its rows are its columns).</summary>
    private static void PackColumns(double[] d, int b, float* target, int nr)
    {
        for (var c0 = 0; c0 < b; c0 += nr)
        {
            var panel = target + ((long)c0 * b);
            for (var c = 0; c < nr; c++)
            {
                for (var l = 0; l < b; l++)
                {
                    panel[(l * nr) + c] = (float)d[((c0 + c) * b) + l];
                }
            }
        }
    }
}
