using System.Numerics.Tensors;

namespace LatentLens.Api.Recommender.FoldIn;

/// <summary>
/// The one linear algebra every solve-based fold-in shares: x = A⁻¹ (b₀ + Σ_h w_h z_h) with
/// A = A₀ + Σ_h v_h z_h z_hᵀ, for a small n (the factor count, plus one for a bias). Implicit ALS
/// (A₀ = YᵀY + λI, v = c − 1, w = c), the SGD families (A₀ = nλI, v = 1, w = the rating's residual) and each
/// BPMF sample (A₀ = the prior precision, v = α, w = α·residual) are all this. Double precision, Cholesky on
/// the upper triangle; the factor is kept so that <see cref="PartOf"/> can split any linear score over the history
/// exactly as implicit's <c>explain</c> does: the part of entry h in tᵀx is w_h · z_hᵀ A⁻¹ t.
/// </summary>
internal sealed class NormalEquations
{
    private double[] _a;
    private double[] _b;
    private double[] _z;
    private double[] _w;
    private double[] _v;
    private double[] _x = [];
    private int _count;
    private int _ld;

    // False after Reset until A₀ is cleared or set: a system whose A₀ is copied in whole (SetMatrix) skips the clear.
    private bool _cleared = true;

    [ThreadStatic]
    private static NormalEquations? _scratch;

    /// <param name="size">n, the unknowns.</param>
    /// <param name="entries">The history entries that will be added (z rows are kept for <see cref="PartOf"/>).</param>
    public NormalEquations(int size, int entries)
    {
        Size = size;
        _ld = DenseKernels.LeadingDimension(size);
        _a = new double[size * _ld];
        _b = new double[size];
        _z = new double[entries * _ld];
        _w = new double[entries];
        _v = new double[entries];
    }

    /// <summary>
    /// This thread's reusable system, cleared for <paramref name="size"/> unknowns and <paramref name="entries"/> entries: the
    /// serving path folds without allocating its matrices (an explanation re-folds into a system of its own).
    /// Valid until the thread's next call.
    /// </summary>
    public static NormalEquations Rent(int size, int entries)
    {
        var system = _scratch ??= new NormalEquations(size, entries);
        system.Reset(size, entries);
        return system;
    }

    private void Reset(int size, int entries)
    {
        Size = size;
        _ld = DenseKernels.LeadingDimension(size);
        _count = 0;
        if (_a.Length < size * _ld)
        {
            _a = new double[size * _ld];
        }

        if (_b.Length < size)
        {
            _b = new double[size];
        }

        if (_z.Length < entries * _ld)
        {
            _z = new double[entries * _ld];
        }

        if (_w.Length < entries)
        {
            (_w, _v) = (new double[entries], new double[entries]);
        }

        _cleared = false;
        Array.Clear(_b, 0, size);
    }

    public int Size { get; private set; }

    /// <summary>A₀ += <paramref name="value"/>·I.</summary>
    public void AddDiagonal(double value)
    {
        EnsureCleared();
        for (var a = 0; a < Size; a++)
        {
            _a[(a * _ld) + a] += value;
        }
    }

    /// <summary>A₀ += a dense symmetric matrix (only its upper triangle is read), n × n row-major.</summary>
    public void AddMatrix(ReadOnlySpan<double> matrix)
    {
        EnsureCleared();
        var n = Size;
        for (var a = 0; a < n; a++)
        {
            var row = _a.AsSpan((a * _ld) + a, n - a);
            TensorPrimitives.Add(row, matrix.Slice((a * n) + a, n - a), row);
        }
    }

    /// <summary>
    /// A₀ = <paramref name="padded"/>, replacing what A₀ held: n rows of <see cref="DenseKernels.LeadingDimension"/>(n) doubles,
    /// the upper triangle read, padding columns zero. One copy, instead of clearing A₀ and adding a matrix row by row,
    /// for an A₀ precomputed once per model (ALS's YᵀY + λI).
    /// </summary>
    public void SetMatrix(ReadOnlySpan<double> padded)
    {
        if (padded.Length != Size * _ld)
        {
            throw new ArgumentException($"A padded {Size} × {Size} matrix has {Size * _ld} doubles, not {padded.Length}.", nameof(padded));
        }

        padded.CopyTo(_a);
        _cleared = true;
    }

    /// <summary>A matrix (n × n row-major, upper triangle read) in the layout <see cref="SetMatrix"/> takes.</summary>
    public static double[] Padded(ReadOnlySpan<double> matrix, int n)
    {
        var ld = DenseKernels.LeadingDimension(n);
        var padded = new double[n * ld];
        for (var a = 0; a < n; a++)
        {
            matrix.Slice((a * n) + a, n - a).CopyTo(padded.AsSpan((a * ld) + a));
        }

        return padded;
    }

    private void EnsureCleared()
    {
        if (!_cleared)
        {
            Array.Clear(_a, 0, Size * _ld);
            _cleared = true;
        }
    }

    /// <summary>b₀ += <paramref name="vector"/>.</summary>
    public void AddRightHandSide(ReadOnlySpan<double> vector) => TensorPrimitives.Add(_b.AsSpan(0, Size), vector, _b.AsSpan(0, Size));

    /// <summary>The row of the next history entry, to fill before <see cref="Add"/>.</summary>
    public Span<double> NextRow()
    {
        _z.AsSpan((_count * _ld) + Size, _ld - Size).Clear();
        return _z.AsSpan(_count * _ld, Size);
    }

    /// <summary>Adds the entry whose row <see cref="NextRow"/> was filled: A += v z zᵀ (formed in <see cref="Solve"/>), b += w z.</summary>
    public void Add(double v, double w)
    {
        var z = _z.AsSpan(_count * _ld, Size);
        _v[_count] = v;
        _w[_count++] = w;
        DenseKernels.Axpy(w, z, _b.AsSpan(0, Size));
    }

    /// <summary>
    /// Forms A = A₀ + Σ v_h z_h z_hᵀ, factors it (adding a tiny ridge if rounding left it singular) and solves for x.
    /// x is this system's: valid until its next <see cref="Solve"/> (for <see cref="Rent"/>'s, the thread's next fold).
    /// </summary>
    public double[] Solve()
    {
        EnsureCleared();
        DenseKernels.AddWeightedGram(_a, Size, _ld, _z, _v, _count);
        if (!Cholesky(_a, Size, _ld))
        {
            throw new InvalidOperationException("The fold-in's normal equations are not positive definite.");
        }

        // This system's own x, reused by its next Solve (the per-thread system's by the thread's next fold).
        var x = _x.Length == Size ? _x : _x = new double[Size];
        _b.AsSpan(0, Size).CopyTo(x);
        SolveFactored(x);
        Solution = x;
        return x;
    }

    /// <summary>x, after <see cref="Solve"/>.</summary>
    public double[] Solution { get; private set; } = [];

    /// <summary>Entry h's row z_h and weight w_h (the right-hand side's term w_h z_h).</summary>
    public ReadOnlySpan<double> Row(int h) => _z.AsSpan(h * _ld, Size);

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

    /// <summary>The inverse of a small symmetric positive definite matrix (n × n row-major, upper triangle read).</summary>
    public static double[] Inverse(ReadOnlySpan<double> spd, int n)
    {
        var factor = new double[n * n];
        for (var a = 0; a < n; a++)
        {
            spd.Slice((a * n) + a, n - a).CopyTo(factor.AsSpan((a * n) + a));
        }

        if (!Cholesky(factor, n, n))
        {
            throw new InvalidOperationException("The matrix is not positive definite.");
        }

        var inverse = new double[n * n];
        var column = new double[n];
        for (var a = 0; a < n; a++)
        {
            Array.Clear(column);
            column[a] = 1;
            SolveFactored(factor, n, n, column);
            for (var b = 0; b < n; b++)
            {
                inverse[(b * n) + a] = column[b];
            }
        }

        return inverse;
    }

    private void SolveFactored(Span<double> y) => SolveFactored(_a, Size, _ld, y);

    /// <summary>Solves UᵀU y = y in place with the factor U in the upper triangle of <paramref name="factor"/>.</summary>
    private static void SolveFactored(ReadOnlySpan<double> factor, int n, int ld, Span<double> y)
    {
        for (var i = 0; i < n; i++)
        {
            y[i] /= factor[(i * ld) + i];
            DenseKernels.Axpy(-y[i], factor.Slice((i * ld) + i + 1, n - i - 1), y[(i + 1)..n]);
        }

        for (var i = n - 1; i >= 0; i--)
        {
            y[i] = (y[i] - DenseKernels.Dot(factor.Slice((i * ld) + i + 1, n - i - 1), y[(i + 1)..n])) / factor[(i * ld) + i];
        }
    }

    /// <summary>The rows of the factor a panel of the blocked Cholesky factorisation finishes before the trailing update.</summary>
    internal const int Panel = 16;

    /// <summary>
    /// In-place Cholesky A = UᵀU on the upper triangle (row-major). Blocked, right-looking: a panel of <see cref="Panel"/>
    /// rows is factored by contiguous row operations (each pivot row scaled, the panel's rows below it updated), then every
    /// row below the panel takes the panel's rank-<see cref="Panel"/> update at once through the register-tiled
    /// <see cref="RankUpdate"/> (A₂₂ −= U₁₂ᵀU₁₂), which is where the n³/6 multiply-adds go. That needs whole vectors: a
    /// leading dimension of whole 512-bit vectors with zero padding (<see cref="DenseKernels.LeadingDimension"/>); any
    /// other runs unblocked. A pivot lost to rounding (a singular A: no regularisation and fewer entries than unknowns)
    /// gets a ridge of 1e-10 of the diagonal's scale.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static bool Cholesky(double[] a, int n, int ld)
    {
        var scale = 0.0;
        for (var i = 0; i < n; i++)
        {
            scale = Math.Max(scale, Math.Abs(a[(i * ld) + i]));
        }

        var floor = Math.Max(scale, 1) * 1e-10;
        var blocked = ld % 8 == 0;
        var panel = blocked ? Panel : n;
        for (var k0 = 0; k0 < n; k0 += panel)
        {
            var end = Math.Min(k0 + panel, n);
            if (!FactorPanel(a, n, ld, k0, end, floor))
            {
                return false;
            }

            if (end < n)
            {
                // Rows end..n−1 −= Σ_k u_k u_kᵀ over the panel's rows k: s = −u_k (only its columns from end are read).
                var count = end - k0;
                var negated = DenseKernels.Scratch(count * ld);
                for (var k = 0; k < count; k++)
                {
                    var source = a.AsSpan(((k0 + k) * ld) + end, n - end);
                    var target = negated.AsSpan((k * ld) + end, n - end);
                    for (var c = 0; c < source.Length; c++)
                    {
                        target[c] = -source[c];
                    }
                }

                RankUpdate.Add(a, n, ld, end, negated, a.AsSpan(k0 * ld), count);
            }
        }

        return true;
    }

    /// <summary>Factors rows k0..end−1 in place, updating each by the pivot rows above it within the panel (to column n).</summary>
    private static bool FactorPanel(double[] a, int n, int ld, int k0, int end, double floor)
    {
        for (var k = k0; k < end; k++)
        {
            var d = a[(k * ld) + k];
            if (!double.IsFinite(d))
            {
                return false;
            }

            var pivot = Math.Sqrt(Math.Max(d, floor));
            a[(k * ld) + k] = pivot;
            var rowK = a.AsSpan((k * ld) + k + 1, n - k - 1);
            DenseKernels.Scale(rowK, 1 / pivot, rowK);
            for (var i = k + 1; i < end; i++)
            {
                var u = rowK[i - k - 1];
                if (u != 0)
                {
                    DenseKernels.Axpy(-u, rowK[(i - k - 1)..], a.AsSpan((i * ld) + i, n - i));
                }
            }
        }

        return true;
    }
}
