using System.Runtime.CompilerServices;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// The rank-k truncated SVD A ≈ U diag(S) Vᵀ of a rows × columns matrix: <see cref="U"/> (rows × k) and
/// <see cref="V"/> (columns × k) row-major with orthonormal columns, <see cref="SingularValues"/> descending.
/// Directions whose singular value is at rounding level (a rank-deficient matrix) have σ = 0 and zero vectors.
/// </summary>
internal sealed record TruncatedSvd(int Rank, double[] SingularValues, double[] U, double[] V)
{
    public double UAt(int row, int factor) => U[(row * Rank) + factor];

    public double VAt(int column, int factor) => V[(column * Rank) + factor];
}

/// <summary>
/// The randomised truncated SVD of Halko, Martinsson and Tropp (2011, "Finding structure with
/// randomness": algorithm 4.4, the randomised subspace iteration, then algorithm 5.1): a seeded Gaussian
/// test matrix Ω with k + p columns, the range finder Y = AΩ, q power iterations Y = A(AᵀQ) each followed
/// by a QR re-orthonormalisation of the basis, then the SVD of the small matrix B = QᵀA. It never factors
/// the whole matrix: the work is 2q + 2 sparse products with k + p dense columns, q + 1 QRs of a
/// (smaller side) × (k + p) matrix and one (k + p)² symmetric eigenproblem.
/// </summary>
/// <remarks>
/// <para>The error of the k-th direction shrinks as (σ_{k+p+1}/σ_k)^(2q+1): a flat spectrum (ratings) needs a large p or q.</para>
/// <para>The basis lives on the smaller side (rows ≤ columns, else the transpose is factored and U and V swap),
/// and it is re-orthonormalised after each A(Aᵀ·) pair rather than after each product: the pair squares the
/// condition number of one step, which double precision carries for any σ_1/σ_{k+p} below about 10⁴.</para>
/// <para>The QR is CholeskyQR2 (Fukaya et al. 2014: R from the Cholesky factor of the (k + p)² Gram matrix
/// YᵀY, Q = YR⁻¹, twice; the Gram matrix and the product are SIMD loops over the row-major basis, the Cholesky
/// factorisation MathNet's). When the basis is (nearly) rank-deficient, as for a matrix of rank below k + p,
/// the Cholesky factorisation breaks down and MathNet's Householder QR is used instead.</para>
/// <para>B's SVD comes from the eigen-decomposition of BBᵀ ((k + p)², MathNet): BBᵀ = ÛΛÛᵀ, σ = √λ, U = QÛ,
/// V = BᵀÛΣ⁻¹. Squaring B costs relative accuracy only for σ below about 10⁻⁸ σ_1, far below anything kept.</para>
/// <para>Deterministic: seeded draws; products in parallel over rows, each row summed in entry order.</para>
/// </remarks>
internal static class RandomizedSvd
{
    /// <summary>Below this ratio of the smallest to the largest diagonal of the Cholesky factor, the basis counts as rank-deficient.</summary>
    private const double BreakdownRatio = 1e-6;

    public static TruncatedSvd Compute(CsrMatrix a, int rank, int oversampling, int powerIterations, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentOutOfRangeException.ThrowIfNegative(oversampling);
        ArgumentOutOfRangeException.ThrowIfNegative(powerIterations);
        if (a.Rows > a.ColumnCount)
        {
            var t = Compute(a.Transpose(), rank, oversampling, powerIterations, seed, cancellationToken);
            return t with { U = t.V, V = t.U };
        }

        var (m, n) = (a.Rows, a.ColumnCount);
        rank = Math.Min(rank, m);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        var width = Math.Min(rank + oversampling, m);
        var transposed = a.Transpose();

        // Ω: n × width standard normal draws, seeded.
        var omega = new float[n * width];
        new GaussianFill(seed).Fill(omega, 0, 1);
        var wide = new double[n * width];
        for (var k = 0; k < wide.Length; k++)
        {
            wide[k] = omega[k];
        }

        var basis = new double[m * width];
        var scratch = new double[m * width];

        // One CholeskyQR pass between products (the next product forgives a basis orthonormal to about
        // 10⁻¹⁰), two for the basis B is computed from.
        a.Multiply(wide, width, basis);
        Orthonormalise(ref basis, ref scratch, m, width, powerIterations == 0 ? 2 : 1);
        for (var i = 0; i < powerIterations; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            transposed.Multiply(basis, width, wide);
            a.Multiply(wide, width, basis);
            Orthonormalise(ref basis, ref scratch, m, width, i == powerIterations - 1 ? 2 : 1);
        }

        // Bᵀ = AᵀQ (n × width); BBᵀ = (Bᵀ)ᵀBᵀ = ÛΛÛᵀ.
        transposed.Multiply(basis, width, wide);
        var gram = new double[width * width];
        Gram(wide, n, width, gram);
        var evd = Matrix<double>.Build.Dense(width, width, gram).Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, width).OrderByDescending(j => evd.EigenValues[j].Real).Take(rank).ToArray();

        var sigma = new double[rank];
        var small = new double[width * rank];   // Û_k row-major, width × rank
        var smallScaled = new double[width * rank]; // Û_k Σ⁻¹
        var top = evd.EigenValues[order[0]].Real;
        for (var f = 0; f < rank; f++)
        {
            var lambda = evd.EigenValues[order[f]].Real;
            if (lambda <= Math.Max(1e-24, 1e-16 * top))
            {
                continue; // σ at rounding level: the direction stays zero.
            }

            sigma[f] = Math.Sqrt(lambda);
            for (var r = 0; r < width; r++)
            {
                small[(r * rank) + f] = evd.EigenVectors.At(r, order[f]);
                smallScaled[(r * rank) + f] = small[(r * rank) + f] / sigma[f];
            }
        }

        var u = new double[m * rank];
        var v = new double[n * rank];
        MultiplyDense(basis, m, width, small, rank, u);
        MultiplyDense(wide, n, width, smallScaled, rank, v);
        return new TruncatedSvd(rank, sigma, u, v);
    }

    /// <summary>
    /// Replaces the rows × width row-major <paramref name="y"/> by an orthonormal basis of its columns (the Q of
    /// its QR): CholeskyQR (<paramref name="passes"/> 2: CholeskyQR2), or MathNet's Householder QR when the
    /// columns are (nearly) dependent.
    /// </summary>
    private static void Orthonormalise(ref double[] y, ref double[] scratch, int rows, int width, int passes)
    {
        var gram = new double[width * width];
        for (var pass = 0; pass < passes; pass++)
        {
            Gram(y, rows, width, gram);
            var inverse = UpperCholeskyInverse(gram, width);
            if (inverse is null)
            {
                HouseholderQ(y, rows, width);
                return;
            }

            MultiplyUpper(y, rows, width, inverse, scratch);
            (y, scratch) = (scratch, y);
        }
    }

    /// <summary>R⁻¹ (row-major, upper triangular) for YᵀY = RᵀR; null when R is (nearly) singular.</summary>
    private static double[]? UpperCholeskyInverse(double[] gram, int width)
    {
        var lower = Matrix<double>.Build.Dense(width, width, gram);
        var max = 0.0;
        for (var i = 0; i < width; i++)
        {
            max = Math.Max(max, lower.At(i, i));
        }

        if (!(max > 0))
        {
            return null;
        }

        Matrix<double> l;
        try
        {
            l = lower.Cholesky().Factor;
        }
        catch (ArgumentException)
        {
            return null;
        }

        var dmax = Math.Sqrt(max);
        for (var i = 0; i < width; i++)
        {
            if (!(l.At(i, i) > BreakdownRatio * dmax))
            {
                return null;
            }
        }

        // R = Lᵀ, and a column-major L read row-major is R.
        return UpperInverse(l.ToColumnMajorArray(), width);
    }

    /// <summary>R⁻¹ of an upper triangular row-major R (back substitution, width³/6 multiply-adds), row-major.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double[] UpperInverse(double[] r, int width)
    {
        // Row i of R⁻¹: x_ii = 1/r_ii; x_ij = -(Σ_{i<k≤j} r_ik x_kj)/r_ii, computed from the last row up,
        // each row as a sum of the rows below it scaled by R's row.
        var inverse = new double[width * width];
        for (var i = width - 1; i >= 0; i--)
        {
            var row = inverse.AsSpan(i * width, width);
            var pivot = r[(i * width) + i];
            for (var k = i + 1; k < width; k++)
            {
                DenseKernels.Axpy(inverse.AsSpan((k * width) + k, width - k), -r[(i * width) + k], row[k..]);
            }

            row[i] = 1;
            for (var j = i; j < width; j++)
            {
                row[j] /= pivot;
            }
        }

        return inverse;
    }

    private static void HouseholderQ(double[] y, int rows, int width)
    {
        var q = FromRowMajor(y, rows, width).QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).Q;
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < width; c++)
            {
                y[(r * width) + c] = q.At(r, c);
            }
        }
    }

    private static Matrix<double> FromRowMajor(double[] rowMajor, int rows, int width) =>
        Matrix<double>.Build.Dense(rows, width, (r, c) => rowMajor[(r * width) + c]);

    /// <summary>
    /// YᵀY (width × width, symmetric) for a rows × width row-major Y: two halves of the rows summed on
    /// their own (in parallel) and added in order, so the result does not depend on the scheduling.
    /// </summary>
    private static void Gram(double[] y, int rows, int width, double[] gram)
    {
        var half = rows / 2;
        var second = new double[gram.Length];
        Parallel.Invoke(() => GramRows(y, 0, half, width, gram), () => GramRows(y, half, rows, width, second));
        for (var i = 0; i < width; i++)
        {
            for (var j = i; j < width; j++)
            {
                gram[(i * width) + j] += second[(i * width) + j];
                gram[(j * width) + i] = gram[(i * width) + j];
            }
        }
    }

    /// <summary>The upper triangle of the Gram matrix of rows [from, to).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GramRows(double[] y, int from, int to, int width, double[] gram)
    {
        Array.Clear(gram);
        for (var r = from; r < to; r++)
        {
            var row = y.AsSpan(r * width, width);
            for (var i = 0; i < width; i++)
            {
                var target = gram.AsSpan((i * width) + i, width - i);
                DenseKernels.Axpy(row[i..], row[i], target);
            }
        }
    }

    /// <summary>Q = Y R⁻¹ for upper triangular R⁻¹ (row-major): each row of Q sums the rows of R⁻¹ scaled by Y's row.</summary>
    private static void MultiplyUpper(double[] y, int rows, int width, double[] upper, double[] result)
    {
        var half = rows / 2;
        Parallel.Invoke(() => MultiplyUpperRows(y, 0, half, width, upper, result), () => MultiplyUpperRows(y, half, rows, width, upper, result));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyUpperRows(double[] y, int from, int to, int width, double[] upper, double[] result)
    {
        for (var r = from; r < to; r++)
        {
            var row = y.AsSpan(r * width, width);
            var target = result.AsSpan(r * width, width);
            target.Clear();
            for (var i = 0; i < width; i++)
            {
                DenseKernels.Axpy(upper.AsSpan((i * width) + i, width - i), row[i], target[i..]);
            }
        }
    }

    /// <summary>C (rows × k) = A (rows × width) · S (width × k), all row-major.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyDense(double[] a, int rows, int width, double[] s, int k, double[] c)
    {
        for (var r = 0; r < rows; r++)
        {
            var target = c.AsSpan(r * k, k);
            for (var i = 0; i < width; i++)
            {
                DenseKernels.Axpy(s.AsSpan(i * k, k), a[(r * width) + i], target);
            }
        }
    }
}
