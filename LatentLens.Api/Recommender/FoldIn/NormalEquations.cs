using System.Numerics.Tensors;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// The one linear algebra every solve-based fold-in shares: x = A⁻¹ (b₀ + Σ_h w_h z_h) with
/// A = A₀ + Σ_h v_h z_h z_hᵀ, for a small n (the factor count, plus one for a bias). Implicit ALS
/// (A₀ = YᵀY + λI, v = c − 1, w = c), the SGD families (A₀ = nλI, v = 1, w = the rating's residual) and each
/// BPMF sample (A₀ = the prior precision, v = α, w = α·residual) are all this. Double precision, Cholesky on
/// the lower triangle; the factor is kept so that <see cref="PartOf"/> can split any linear score over the history
/// exactly as implicit's <c>explain</c> does: the part of entry h in tᵀx is w_h · z_hᵀ A⁻¹ t.
/// </summary>
internal sealed class NormalEquations
{
    private readonly double[] _a;
    private readonly double[] _b;
    private readonly double[] _z;
    private readonly double[] _w;
    private int _count;

    /// <param name="size">n, the unknowns.</param>
    /// <param name="entries">The history entries that will be added (z rows are kept for <see cref="PartOf"/>).</param>
    public NormalEquations(int size, int entries)
    {
        Size = size;
        _a = new double[size * size];
        _b = new double[size];
        _z = new double[entries * size];
        _w = new double[entries];
    }

    public int Size { get; }

    /// <summary>A₀ += <paramref name="value"/>·I.</summary>
    public void AddDiagonal(double value)
    {
        for (var a = 0; a < Size; a++)
        {
            _a[(a * Size) + a] += value;
        }
    }

    /// <summary>A₀ += a dense symmetric matrix (only its lower triangle is read), n × n row-major.</summary>
    public void AddMatrix(ReadOnlySpan<double> matrix)
    {
        for (var a = 0; a < Size; a++)
        {
            var row = _a.AsSpan(a * Size, a + 1);
            TensorPrimitives.Add(row, matrix.Slice(a * Size, a + 1), row);
        }
    }

    /// <summary>b₀ += <paramref name="vector"/>.</summary>
    public void AddRightHandSide(ReadOnlySpan<double> vector) => TensorPrimitives.Add(_b, vector, _b);

    /// <summary>The row of the next history entry, to fill before <see cref="Add"/>.</summary>
    public Span<double> NextRow() => _z.AsSpan(_count * Size, Size);

    /// <summary>Adds the entry whose row <see cref="NextRow"/> was filled: A += v z zᵀ, b += w z.</summary>
    public void Add(double v, double w)
    {
        var z = _z.AsSpan(_count * Size, Size);
        _w[_count++] = w;
        TensorPrimitives.MultiplyAdd(z, w, _b, _b);
        if (v == 0)
        {
            return;
        }

        for (var a = 0; a < Size; a++)
        {
            var za = z[a] * v;
            if (za != 0)
            {
                var row = _a.AsSpan(a * Size, a + 1);
                TensorPrimitives.MultiplyAdd(z[..(a + 1)], za, row, row);
            }
        }
    }

    /// <summary>Factors A (adding a tiny ridge if rounding left it singular) and solves for x.</summary>
    public double[] Solve()
    {
        if (!Cholesky(_a, Size))
        {
            throw new InvalidOperationException("The fold-in's normal equations are not positive definite.");
        }

        var x = (double[])_b.Clone();
        SolveFactored(x);
        Solution = x;
        return x;
    }

    /// <summary>x, after <see cref="Solve"/>.</summary>
    public double[] Solution { get; private set; } = [];

    /// <summary>Entry h's row z_h and weight w_h (the right-hand side's term w_h z_h).</summary>
    public ReadOnlySpan<double> Row(int h) => _z.AsSpan(h * Size, Size);

    public double Weight(int h) => _w[h];

    public int Count => _count;

    /// <summary>
    /// Each entry's part of tᵀx into <paramref name="parts"/>: w_h · z_hᵀ A⁻¹ t (one solve, then a dot per entry).
    /// They sum to tᵀx minus tᵀA⁻¹b₀ (the part no entry owns: BPMF's prior mean; zero for the others).
    /// </summary>
    public void PartOf(ReadOnlySpan<double> target, Span<float> parts)
    {
        var y = target.ToArray();
        SolveFactored(y);
        for (var h = 0; h < _count; h++)
        {
            parts[h] = (float)(_w[h] * TensorPrimitives.Dot(Row(h), y));
        }
    }

    /// <summary>Entry h's term of x: w_h A⁻¹ z_h, into <paramref name="term"/>.</summary>
    public void TermOf(int h, Span<double> term)
    {
        Row(h).CopyTo(term);
        SolveFactored(term);
        TensorPrimitives.Multiply(term, _w[h], term);
    }

    /// <summary>The inverse of a small symmetric positive definite matrix (n × n row-major, lower triangle read).</summary>
    public static double[] Inverse(ReadOnlySpan<double> spd, int n)
    {
        var factor = new double[n * n];
        for (var a = 0; a < n; a++)
        {
            spd.Slice(a * n, a + 1).CopyTo(factor.AsSpan(a * n));
        }

        if (!Cholesky(factor, n))
        {
            throw new InvalidOperationException("The matrix is not positive definite.");
        }

        var inverse = new double[n * n];
        var column = new double[n];
        for (var a = 0; a < n; a++)
        {
            Array.Clear(column);
            column[a] = 1;
            SolveFactored(factor, n, column);
            for (var b = 0; b < n; b++)
            {
                inverse[(b * n) + a] = column[b];
            }
        }

        return inverse;
    }

    private void SolveFactored(Span<double> y) => SolveFactored(_a, Size, y);

    /// <summary>Solves L Lᵀ y = y in place with the factor L in the lower triangle of <paramref name="factor"/>.</summary>
    private static void SolveFactored(ReadOnlySpan<double> factor, int n, Span<double> y)
    {
        for (var i = 0; i < n; i++)
        {
            y[i] = (y[i] - TensorPrimitives.Dot(factor.Slice(i * n, i), y[..i])) / factor[(i * n) + i];
        }

        for (var i = n - 1; i >= 0; i--)
        {
            y[i] /= factor[(i * n) + i];
            TensorPrimitives.MultiplyAdd(factor.Slice(i * n, i), -y[i], y[..i], y[..i]);
        }
    }

    /// <summary>
    /// In-place Cholesky–Banachiewicz on the lower triangle (row i of L needs rows 0..i, all contiguous). A pivot lost to
    /// rounding (a singular A: no regularisation and fewer entries than unknowns) gets a ridge of 1e-10 of the diagonal's scale.
    /// </summary>
    internal static bool Cholesky(double[] a, int n)
    {
        var scale = 0.0;
        for (var i = 0; i < n; i++)
        {
            scale = Math.Max(scale, Math.Abs(a[(i * n) + i]));
        }

        var floor = Math.Max(scale, 1) * 1e-10;
        for (var i = 0; i < n; i++)
        {
            var rowI = a.AsSpan(i * n, n);
            for (var j = 0; j < i; j++)
            {
                rowI[j] = (rowI[j] - TensorPrimitives.Dot(rowI[..j], a.AsSpan(j * n, j))) / a[(j * n) + j];
            }

            var d = rowI[i] - TensorPrimitives.Dot(rowI[..i], rowI[..i]);
            if (!double.IsFinite(d))
            {
                return false;
            }

            rowI[i] = Math.Sqrt(Math.Max(d, floor));
        }

        return true;
    }
}
