using System.Runtime.CompilerServices;

namespace LatentLens.Api.Recommender.Numerics;

/// <summary>Draws from a Gaussian given by its precision and linear term, through a hand-written Cholesky factorisation.</summary>
internal static class Gaussian
{
    /// <summary>
    /// Writes to <paramref name="result"/> a draw from N(P⁻¹b, P⁻¹) with P = Λ + α·<paramref name="p"/> and
    /// b = Λμ + α·<paramref name="b"/> (<paramref name="p"/>: lower triangle, row-major d×d, overwritten).
    /// False, with nothing drawn, when P is not positive definite: the caller names what diverged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryDraw(Span<double> p, Span<double> b, int d, double alpha, ReadOnlySpan<double> lambda, ReadOnlySpan<double> lambdaMu, ref GaussianFill random, Span<float> noise, Span<double> result)
    {
        for (var a = 0; a < d; a++)
        {
            for (var c = 0; c <= a; c++)
            {
                p[(a * d) + c] = (alpha * p[(a * d) + c]) + lambda[(a * d) + c];
            }

            b[a] = (alpha * b[a]) + lambdaMu[a];
        }

        if (!TryCholesky(p, d))
        {
            return false;
        }

        // x = L⁻ᵀ(L⁻¹b + z): mean P⁻¹b, covariance L⁻ᵀL⁻¹ = P⁻¹.
        SolveLower(p, d, b);
        random.Fill(noise[..d], 0, 1);
        for (var a = 0; a < d; a++)
        {
            b[a] += noise[a];
        }

        SolveUpper(p, d, b);
        b[..d].CopyTo(result);
        return true;
    }

    /// <summary>
    /// In place: the lower triangle of <paramref name="m"/> becomes L with L·Lᵀ = m (only the lower triangle is read);
    /// false when <paramref name="m"/> is not positive definite.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryCholesky(Span<double> m, int d)
    {
        for (var j = 0; j < d; j++)
        {
            var rowJ = m.Slice(j * d, j + 1);
            var diagonal = rowJ[j] - System.Numerics.Tensors.TensorPrimitives.SumOfSquares((ReadOnlySpan<double>)rowJ[..j]);
            if (!(diagonal > 0))
            {
                return false;
            }

            var l = Math.Sqrt(diagonal);
            rowJ[j] = l;
            for (var i = j + 1; i < d; i++)
            {
                var rowI = m.Slice(i * d, j + 1);
                rowI[j] = (rowI[j] - System.Numerics.Tensors.TensorPrimitives.Dot((ReadOnlySpan<double>)rowI[..j], rowJ[..j])) / l;
            }
        }

        return true;
    }

    /// <summary>x ← L⁻¹x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SolveLower(ReadOnlySpan<double> l, int d, Span<double> x)
    {
        for (var i = 0; i < d; i++)
        {
            var sum = x[i];
            for (var c = 0; c < i; c++)
            {
                sum -= l[(i * d) + c] * x[c];
            }

            x[i] = sum / l[(i * d) + i];
        }
    }

    /// <summary>x ← L⁻ᵀx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SolveUpper(ReadOnlySpan<double> l, int d, Span<double> x)
    {
        for (var i = d - 1; i >= 0; i--)
        {
            var sum = x[i];
            for (var r = i + 1; r < d; r++)
            {
                sum -= l[(r * d) + i] * x[r];
            }

            x[i] = sum / l[(i * d) + i];
        }
    }
}
