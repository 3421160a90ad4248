using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Ranking;

/// <summary>
/// An int8 copy of a model's item factors that finds the same top k as scoring every item exactly, at a quarter of
/// the bytes and a few integer instructions per item. Each item's score is first approximated from the int8 row and a
/// 7-bit copy of the user's vector, with a bound on how far the exact float score can be from the approximation
/// (Cauchy–Schwarz on the two rounding errors plus the float rounding of both sums). Every item whose upper bound
/// reaches the k-th best lower bound is then scored exactly, with the same arithmetic as <see cref="Scoring"/>, and the
/// top k taken from those: an item outside that set scores below k items whatever the rounding, so the list, the
/// scores and the ties (lower index first) are those of the exact scan, bit for bit.
/// </summary>
/// <remarks>
/// Why hand-written: the saving is in the integer dot (AVX-VNNI's <c>vpdpbusd</c>, else AVX2's <c>vpmaddubsw</c>), which
/// no numerics package exposes for this layout. Used where one of the two runs in hardware (<see cref="IsAccelerated"/>);
/// elsewhere (ARM64, old x64) the exact scan is kept. The portable kernel gives the same integers and is what the
/// tests compare the hardware ones with.
/// </remarks>
internal sealed partial class QuantizedRows
{
    // The user's vector is rounded to integers in [-63, 63] and sent to the byte kernels offset by 64 (0..127):
    // unsigned × signed byte products then sum in pairs without saturating a 16-bit lane (2 × 127 × 127 < 2¹⁵).
    internal const int VectorLevels = 63;
    private const int VectorOffset = 64;

    private const float Unit = 1f / (1 << 24);

    // Scales and steps in [2⁻⁴⁰, 2⁴⁰] keep scale · step, the approximation and ‖q‖‖v‖ normal and finite in float.
    private static readonly float Smallest = MathF.ScaleB(1, -40);
    private static readonly float Largest = MathF.ScaleB(1, 40);

    private static readonly ConditionalWeakTable<FactorModel, QuantizedRows> Cache = [];

    private readonly sbyte[] _rows;
    private readonly float[] _scale;
    private readonly int[] _rowSum;

    // Per item: ‖q − q̃‖₂ and an upper bound of ‖q‖₂ (float, rounded up), q̃ = scale · int8 row.
    private readonly float[] _error;
    private readonly float[] _norm;

    [ThreadStatic]
    private static Buffers? _buffers;

    private QuantizedRows(FactorModel model)
    {
        Model = model;
        Factors = model.Factors;
        Width = (model.Factors + 31) / 32 * 32;
        var n = model.Items.Count;
        _rows = GC.AllocateUninitializedArray<sbyte>(n * Width);
        _scale = new float[n];
        _rowSum = new int[n];
        _error = new float[n];
        _norm = new float[n];
        var stride = model.Stride;
        for (var i = 0; i < n; i++)
        {
            var q = model.ItemFactors.AsSpan(i * stride, Factors);
            var row = _rows.AsSpan(i * Width, Width);
            row.Clear();
            var max = 0f;
            foreach (var x in q)
            {
                max = MathF.Max(max, MathF.Abs(x));
            }

            var scale = max / 127f;
            double error = 0, norm = 0;
            var sum = 0;
            for (var f = 0; f < Factors; f++)
            {
                var level = scale > 0 ? (int)Math.Clamp(MathF.Round(q[f] / scale), -127, 127) : 0;
                row[f] = (sbyte)level;
                sum += level;
                var d = (double)q[f] - ((double)scale * level);
                error += d * d;
                norm += (double)q[f] * q[f];
            }

            _scale[i] = scale;
            _rowSum[i] = sum;
            _error[i] = MathF.BitIncrement((float)Math.Sqrt(error));
            // A row too large or too small for the approximation's floats to stay normal gets an infinite bound:
            // it is always rescored and never sets the threshold.
            _norm[i] = scale == 0 || InRange(scale) ? MathF.BitIncrement((float)Math.Sqrt(norm)) : float.PositiveInfinity;
        }
    }

    public FactorModel Model { get; }

    public int Factors { get; }

    /// <summary>Bytes per int8 row: the factor count rounded up to a 32-byte vector, zero-padded.</summary>
    public int Width { get; }

    /// <summary>Whether a hardware integer kernel runs here; the serving path uses this copy only then.</summary>
    public static bool IsAccelerated => AvxVnni.IsSupported || Avx2.IsSupported;

    /// <summary>
    /// Whether <paramref name="model"/>'s lists come from its int8 copy (the same list as the exact scan, found faster):
    /// where an integer kernel runs in hardware and the catalogue is big enough to pay for the copy.
    /// </summary>
    public static bool Serves(FactorModel model) => IsAccelerated && model is { Factors: >= 8 } && model.Items.Count >= 1_024;

    private static bool InRange(float scale) => scale >= Smallest && scale <= Largest;

    /// <summary>The copy of <paramref name="model"/>, made once per model (the model's item factors must not change after).</summary>
    public static QuantizedRows For(FactorModel model) => Cache.GetValue(model, m => new QuantizedRows(m));

    /// <summary>
    /// The top k of q_i · <paramref name="vector"/> + <paramref name="offsets"/>[i] over the items not in <paramref name="excluded"/>
    /// and allowed by <paramref name="allowed"/> (empty: all), exactly as <see cref="Scoring.ScoreAll(FactorModel, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    /// followed by <see cref="Scoring.SelectTop"/> ranks them; null when the vector is not finite or the bounds could
    /// overflow (the caller then scans exactly).
    /// </summary>
    public ScoredItem[]? Top(ReadOnlySpan<float> vector, ReadOnlySpan<float> offsets, int k, ReadOnlySpan<int> excluded, ReadOnlySpan<bool> allowed, Kernel kernel = Kernel.Best) =>
        Top(vector, offsets, k, excluded, allowed, kernel, null);

    /// <summary>Every item's bounds before exclusions, as <see cref="Top(ReadOnlySpan{float}, ReadOnlySpan{float}, int, ReadOnlySpan{int}, ReadOnlySpan{bool}, Kernel)"/> computes them (tests: low ≤ exact ≤ high).</summary>
    internal delegate void BoundsSeen(ReadOnlySpan<float> low, ReadOnlySpan<float> high);

    internal ScoredItem[]? Top(ReadOnlySpan<float> vector, ReadOnlySpan<float> offsets, int k, ReadOnlySpan<int> excluded, ReadOnlySpan<bool> allowed, Kernel kernel, BoundsSeen? bounds)
    {
        var n = Model.Items.Count;
        var stride = Model.Stride;
        if (vector.Length != stride || offsets.Length < n || Factors == 0)
        {
            throw new ArgumentException($"A vector of {stride} floats and {n} offsets are needed; got {vector.Length} and {offsets.Length}.");
        }

        // The exact scan reads the vector's padding too: it must be zero for the copy (which has none) to stand for it.
        if (k <= 0 || vector[Factors..].ContainsAnyExcept(0f))
        {
            return null;
        }

        var buffers = _buffers ??= new Buffers();
        buffers.Ensure(n, Width);
        var levels = buffers.Levels.AsSpan(0, Width);
        if (!Quantize(vector[..Factors], levels, out var step, out var vectorNorm, out var vectorError) || !InRange(step))
        {
            return null;
        }

        // |exact − approximate| ≤ ‖δq‖‖v‖ + ‖q̃‖‖δv‖ (‖q̃‖ ≤ ‖q‖ + ‖δq‖) + the float rounding of the exact sum (≤ γ_stride ‖q‖‖v‖) and of the
        // approximation's few operations; a relative margin covers the rounding of the bound itself.
        var gamma = stride * (double)Unit / (1 - (stride * (double)Unit));
        var onError = (float)((vectorNorm + vectorError) * (1 + (1.0 / 256)));
        var onNorm = (float)((vectorError + ((gamma + (8.0 * Unit)) * vectorNorm)) * (1 + (1.0 / 256)));
        if (!float.IsFinite(onError) || !float.IsFinite(onNorm) || vectorNorm > 1e15)
        {
            return null;
        }

        var low = buffers.Low.AsSpan(0, n);
        var high = buffers.High.AsSpan(0, n);
        Approximate(levels, step, offsets, onError, onNorm, low, high, kernel);
        if (bounds is not null)
        {
            bounds(low, high);
        }

        Scoring.LeaveOut(low, excluded, allowed);
        Scoring.LeaveOut(high, excluded, allowed);

        // The k-th best lower bound: at least k items score at least this much, so no item whose upper bound is below it can be in the top k.
        var threshold = Scoring.KthLargest(low, Math.Min(k, n));
        var candidates = buffers.Candidates;
        var count = Candidates(high, threshold, candidates);
        var exact = buffers.Exact;
        unsafe
        {
            fixed (float* q = Model.ItemFactors, v = vector)
            {
                for (var c = 0; c < count; c++)
                {
                    // The expression of Scoring.ScoreRows, so the float is the same.
                    var item = candidates[c];
                    var score = PaddedRows.Dot(q + ((nint)item * stride), v, stride) + offsets[item];
                    if (!float.IsFinite(score) && float.IsFinite(low[item]))
                    {
                        // It counted towards the threshold but the exact scan skips it (an overflow): scan exactly.
                        return null;
                    }

                    exact[c] = score;
                }
            }
        }

        var top = Scoring.SelectTop(exact.AsSpan(0, count), k);
        for (var j = 0; j < top.Length; j++)
        {
            top[j] = top[j] with { Item = candidates[top[j].Item] };
        }

        return top;
    }

    /// <summary>The items whose upper bound reaches <paramref name="threshold"/> (and is not −∞: left out), in index order.</summary>
    private static int Candidates(ReadOnlySpan<float> high, float threshold, int[] candidates)
    {
        var count = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Most blocks of 8 hold no candidate: one comparison skips them.
            var floor = Vector256.Create(MathF.Max(threshold, float.MinValue));
            ref var high0 = ref MemoryMarshal.GetReference(high);
            for (; i + 8 <= high.Length; i += 8)
            {
                if (!Vector256.LessThanAll(Vector256.LoadUnsafe(ref high0, (nuint)i), floor))
                {
                    for (var j = i; j < i + 8; j++)
                    {
                        if (IsCandidate(high[j], threshold))
                        {
                            candidates[count++] = j;
                        }
                    }
                }
            }
        }

        for (; i < high.Length; i++)
        {
            if (IsCandidate(high[i], threshold))
            {
                candidates[count++] = i;
            }
        }

        return count;
    }

    // Not below the threshold (a NaN bound — ∞ · 0 — is rescored rather than trusted), and not left out (−∞).
    private static bool IsCandidate(float high, float threshold) => !(high < threshold) && high != float.NegativeInfinity;

    /// <summary>
    /// Rounds <paramref name="vector"/> to integers in [−63, 63] times a step, stored offset by 64; false when it is not finite or zero.
    /// ‖v‖₂ and ‖v − step · levels‖₂ come back in double.
    /// </summary>
    internal static bool Quantize(ReadOnlySpan<float> vector, Span<byte> levels, out float step, out double norm, out double error)
    {
        levels.Fill(VectorOffset);
        var max = 0f;
        foreach (var x in vector)
        {
            if (!float.IsFinite(x))
            {
                (step, norm, error) = (0, 0, 0);
                return false;
            }

            max = MathF.Max(max, MathF.Abs(x));
        }

        step = max / VectorLevels;
        (norm, error) = (0, 0);
        if (!(step > 0) || !float.IsNormal(step))
        {
            return false;
        }

        for (var f = 0; f < vector.Length; f++)
        {
            var level = (int)Math.Clamp(MathF.Round(vector[f] / step), -VectorLevels, VectorLevels);
            levels[f] = (byte)(level + VectorOffset);
            var d = (double)vector[f] - ((double)step * level);
            error += d * d;
            norm += (double)vector[f] * vector[f];
        }

        (norm, error) = (Math.Sqrt(norm), Math.Sqrt(error));
        return true;
    }

    private unsafe void Approximate(ReadOnlySpan<byte> levels, float step, ReadOnlySpan<float> offsets, float onError, float onNorm, Span<float> low, Span<float> high, Kernel kernel)
    {
        var n = low.Length;
        var width = Width;
        kernel = Resolve(kernel);
        var dots = MemoryMarshal.Cast<float, int>(low);
        fixed (sbyte* rows = _rows)
        fixed (byte* v = levels)
        {
            for (var i = 0; i < n; i++)
            {
                var row = rows + ((nint)i * width);
                dots[i] = kernel switch
                {
                    Kernel.Vnni => DotVnni(row, v, width),
                    Kernel.Avx2 => DotAvx2(row, v, width),
                    _ => DotPortable(row, v, width),
                };
            }
        }

        // Then, for every item at once: Σ q8 · (levels − 64), exact in int (|·| ≤ 127 · 63 · width); the approximate score
        // scale · step · that + offset; its bound; the two ends. Elementwise, so the vector width does not change a float.
        // An absolute term for the subnormal range, where relative bounds say nothing.
        var floor = (Model.Stride + 8) * float.Epsilon;
        var i0 = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var dot0 = ref MemoryMarshal.GetReference(dots);
            ref var sum0 = ref MemoryMarshal.GetArrayDataReference(_rowSum);
            ref var scale0 = ref MemoryMarshal.GetArrayDataReference(_scale);
            ref var error0 = ref MemoryMarshal.GetArrayDataReference(_error);
            ref var norm0 = ref MemoryMarshal.GetArrayDataReference(_norm);
            ref var offset0 = ref MemoryMarshal.GetReference(offsets);
            ref var high0 = ref MemoryMarshal.GetReference(high);
            for (; i0 + 8 <= n; i0 += 8)
            {
                var at = (nuint)i0;
                var dot = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref dot0, at) - (Vector256.LoadUnsafe(ref sum0, at) * VectorOffset));
                var offset = Vector256.LoadUnsafe(ref offset0, at);
                var approximate = (Vector256.LoadUnsafe(ref scale0, at) * step * dot) + offset;
                var bound = (Vector256.LoadUnsafe(ref error0, at) * onError) + (Vector256.LoadUnsafe(ref norm0, at) * onNorm)
                    + ((Vector256.Abs(approximate) + Vector256.Abs(offset)) * (8 * Unit)) + Vector256.Create(floor);
                (approximate - bound).AsInt32().StoreUnsafe(ref dot0, at);
                (approximate + bound).StoreUnsafe(ref high0, at);
            }
        }

        for (var i = i0; i < n; i++)
        {
            var dot = (float)(dots[i] - (_rowSum[i] * VectorOffset));
            var offset = offsets[i];
            var approximate = (_scale[i] * step * dot) + offset;
            var bound = (_error[i] * onError) + (_norm[i] * onNorm) + ((MathF.Abs(approximate) + MathF.Abs(offset)) * (8 * Unit)) + floor;
            low[i] = approximate - bound;
            high[i] = approximate + bound;
        }
    }

    private sealed class Buffers
    {
        public byte[] Levels = [];
        public float[] Low = [];
        public float[] High = [];
        public float[] Exact = [];
        public int[] Candidates = [];

        public void Ensure(int items, int width)
        {
            if (Levels.Length < width)
            {
                Levels = GC.AllocateUninitializedArray<byte>(width);
            }

            if (Low.Length < items)
            {
                (Low, High, Exact, Candidates) = (new float[items], new float[items], new float[items], new int[items]);
            }
        }
    }
}
