using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// <see cref="ImplicitAls"/>'s half-iteration: the Gram matrix YᵀY + λI, then every row solved by a few
/// conjugate-gradient steps from its current value, with SIMD kernels over a row's rated neighbours.
/// </summary>
internal static class ImplicitAlsSolver
{
    // Rows per partial sum of a Gram matrix: fixed, so the summation order (and the result) does not depend on the core count.
    private const int GramBlock = 128;

    /// <summary>
    /// G = YᵀY + λI over the first <paramref name="factors"/> columns of <paramref name="count"/> rows,
    /// as a <paramref name="stride"/> × <paramref name="stride"/> row-major matrix whose padding is zero.
    /// </summary>
    internal static float[] Gram(float[] rows, int count, int factors, int stride, float regularization)
    {
        var blocks = (count + GramBlock - 1) / GramBlock;
        var partials = new float[blocks][];
        Parallel.For(0, blocks, b => partials[b] = GramOfRows(rows, b * GramBlock, Math.Min(count, (b + 1) * GramBlock), factors, stride));

        var gram = new float[stride * stride];
        foreach (var partial in partials)
        {
            AddInto(gram, partial);
        }

        for (var a = 0; a < factors; a++)
        {
            gram[(a * stride) + a] += regularization;
        }

        return gram;
    }

    // Every loop of a fit runs in methods jitted fully optimised at once (AggressiveOptimization): a cold
    // process would otherwise run them, and the generic TensorPrimitives code they called, unoptimised
    // until tiering caught up, which on a busy machine took most of the first fit.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float[] GramOfRows(float[] rows, int start, int end, int factors, int stride)
    {
        var g = new float[stride * stride];
        fixed (float* pr = rows, pg = g)
        {
            for (var r = start; r < end; r++)
            {
                var row = pr + ((nint)r * stride);
                for (var a = 0; a < factors; a++)
                {
                    if (row[a] != 0)
                    {
                        Axpy(row[a], row, pg + ((nint)a * stride), stride);
                    }
                }
            }
        }

        return g;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddInto(float[] target, float[] source)
    {
        fixed (float* t = target, s = source)
        {
            Axpy(1f, s, t, target.Length);
        }
    }

    /// <summary>
    /// One row's update: a few CG steps on (G + Σ_k w_k y_k y_kᵀ) x = Σ_k (1 + w_k) y_k from the current
    /// <paramref name="x"/>, where G = YᵀY + λI, y_k the other side's rows <paramref name="neighbours"/>
    /// and w_k = c_k − 1 = α·r_k. <paramref name="work"/> holds at least 3 × stride + |neighbours| floats.
    /// <paramref name="diagonal"/> is added to A's diagonal for this row alone (a row's own λ, as
    /// Rendle et al. 2021 scale it; G then holds no λ).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void SolveRow(
        ReadOnlySpan<float> gram, ReadOnlySpan<float> other, ReadOnlySpan<int> neighbours, ReadOnlySpan<float> weights,
        Span<float> x, int factors, int stride, int cgSteps, Span<float> work, float diagonal = 0f)
    {
        if (gram.Length < stride * stride || x.Length < stride || work.Length < (3 * stride) + neighbours.Length || weights.Length < neighbours.Length
            || stride < 1 || stride % PaddedRows.Granule != 0 || factors > stride)
        {
            throw new ArgumentException("The spans do not match the stride.");
        }

        foreach (var k in neighbours)
        {
            if ((uint)k >= (uint)(other.Length / stride))
            {
                throw new ArgumentOutOfRangeException(nameof(neighbours), k, "a neighbour is not a row of the other side");
            }
        }

        // The Gram matrix's rows are multiplied by the same kernel as the neighbours' rows, listed 0, 1, …, f − 1.
        Span<int> gramRows = factors <= 1024 ? stackalloc int[factors] : new int[factors];
        FillRowNumbers(gramRows);
        fixed (float* g = gram, y = other, w = weights, xu = x, buffer = work)
        fixed (int* nb = neighbours, gr = gramRows)
        {
            SolveRow(g, gr, y, nb, w, neighbours.Length, xu, factors, stride, cgSteps, buffer, buffer + (3 * stride), diagonal);
        }
    }

    // The hot loop: raw pointers over whole vectors (the stride is a multiple of 8), no bounds checks;
    // jitted fully optimised from the first call, since a fit is a few hundred milliseconds.
    // coefficients is scratch for count floats: the per-neighbour dot products, then their weights.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SolveRow(
        float* gram, int* gramRows, float* other, int* neighbours, float* weights, int count, float* x, int factors, int stride, int cgSteps, float* work, float* coefficients, float diagonal)
    {
        var r = work;
        var p = work + stride;
        var ap = work + (2 * stride);

        // r = b − A x = −G x + Σ_k (c_k − (c_k − 1) y_k·x) y_k
        MultiplyGram(gram, gramRows, x, r, factors, stride, -1f);
        if (diagonal != 0)
        {
            Axpy(-diagonal, x, r, stride);
        }

        DotRows(other, neighbours, count, x, stride, coefficients);
        for (var k = 0; k < count; k++)
        {
            var w = weights[k];
            coefficients[k] = 1 + w - (w * coefficients[k]);
        }

        AddRows(other, neighbours, count, coefficients, r, stride);

        new Span<float>(r, stride).CopyTo(new Span<float>(p, stride));
        var rsOld = PaddedRows.Dot(r, r, stride);
        if (rsOld < 1e-20f)
        {
            return;
        }

        for (var step = 0; step < cgSteps; step++)
        {
            // A p = G p + Σ_k (c_k − 1)(y_k·p) y_k, never forming A.
            MultiplyGram(gram, gramRows, p, ap, factors, stride, 1f);
            if (diagonal != 0)
            {
                Axpy(diagonal, p, ap, stride);
            }

            DotRows(other, neighbours, count, p, stride, coefficients);
            for (var k = 0; k < count; k++)
            {
                coefficients[k] *= weights[k];
            }

            AddRows(other, neighbours, count, coefficients, ap, stride);

            var alpha = rsOld / PaddedRows.Dot(p, ap, stride);
            Axpy(alpha, p, x, stride);
            Axpy(-alpha, ap, r, stride);
            var rsNew = PaddedRows.Dot(r, r, stride);
            if (rsNew < 1e-20f)
            {
                return;
            }

            // p = r + (rsNew / rsOld) p
            ScaleAdd(rsNew / rsOld, p, r, stride);

            rsOld = rsNew;
        }
    }

    // The row kernels below are written once over ISgdLanes (FunkSvd's vector abstraction) and entered through a
    // forward that picks the width: 256-bit vectors where they are accelerated (x64 with AVX2; AVX-512 machines
    // too, since strides are multiples of 8), 128-bit ones elsewhere (ARM64's NEON), where Vector256 would run in
    // software. IsHardwareAccelerated is a JIT-time constant, so the forward costs nothing.

    /// <summary>dots[k] = y_{neighbours[k]}·v; four rows per pass over v, so four independent FMA chains share each load of v.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void DotRows(float* rows, int* neighbours, int count, float* v, int stride, float* dots)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            DotRows<SgdLanes256, Vector256<float>>(rows, neighbours, count, v, stride, dots);
        }
        else
        {
            DotRows<SgdLanes128, Vector128<float>>(rows, neighbours, count, v, stride, dots);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotRows<TLanes, TVector>(float* rows, int* neighbours, int count, float* v, int stride, float* dots)
        where TLanes : ISgdLanes<TVector>
        where TVector : struct
    {
        var zero = TLanes.Create(0f);
        var k = 0;
        for (; k + 4 <= count; k += 4)
        {
            var y0 = rows + ((nint)neighbours[k] * stride);
            var y1 = rows + ((nint)neighbours[k + 1] * stride);
            var y2 = rows + ((nint)neighbours[k + 2] * stride);
            var y3 = rows + ((nint)neighbours[k + 3] * stride);
            TVector s0 = zero, s1 = zero, s2 = zero, s3 = zero;
            for (var j = 0; j < stride; j += TLanes.Width)
            {
                var vj = TLanes.Load(v + j);
                s0 = TLanes.MultiplyAdd(TLanes.Load(y0 + j), vj, s0);
                s1 = TLanes.MultiplyAdd(TLanes.Load(y1 + j), vj, s1);
                s2 = TLanes.MultiplyAdd(TLanes.Load(y2 + j), vj, s2);
                s3 = TLanes.MultiplyAdd(TLanes.Load(y3 + j), vj, s3);
            }

            dots[k] = TLanes.Sum(s0);
            dots[k + 1] = TLanes.Sum(s1);
            dots[k + 2] = TLanes.Sum(s2);
            dots[k + 3] = TLanes.Sum(s3);
        }

        for (; k < count; k++)
        {
            dots[k] = PaddedRows.Dot(rows + ((nint)neighbours[k] * stride), v, stride);
        }
    }

    /// <summary>target += Σ_k coefficients[k]·y_{neighbours[k]}; four rows per load and store of the target.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddRows(float* rows, int* neighbours, int count, float* coefficients, float* target, int stride)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            AddRows<SgdLanes256, Vector256<float>>(rows, neighbours, count, coefficients, target, stride);
        }
        else
        {
            AddRows<SgdLanes128, Vector128<float>>(rows, neighbours, count, coefficients, target, stride);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AddRows<TLanes, TVector>(float* rows, int* neighbours, int count, float* coefficients, float* target, int stride)
        where TLanes : ISgdLanes<TVector>
        where TVector : struct
    {
        var k = 0;
        for (; k + 4 <= count; k += 4)
        {
            var y0 = rows + ((nint)neighbours[k] * stride);
            var y1 = rows + ((nint)neighbours[k + 1] * stride);
            var y2 = rows + ((nint)neighbours[k + 2] * stride);
            var y3 = rows + ((nint)neighbours[k + 3] * stride);
            var c0 = TLanes.Create(coefficients[k]);
            var c1 = TLanes.Create(coefficients[k + 1]);
            var c2 = TLanes.Create(coefficients[k + 2]);
            var c3 = TLanes.Create(coefficients[k + 3]);
            for (var j = 0; j < stride; j += TLanes.Width)
            {
                var t = TLanes.Load(target + j);
                t = TLanes.MultiplyAdd(TLanes.Load(y0 + j), c0, t);
                t = TLanes.MultiplyAdd(TLanes.Load(y1 + j), c1, t);
                t = TLanes.MultiplyAdd(TLanes.Load(y2 + j), c2, t);
                t = TLanes.MultiplyAdd(TLanes.Load(y3 + j), c3, t);
                TLanes.Store(t, target + j);
            }
        }

        for (; k < count; k++)
        {
            Axpy(coefficients[k], rows + ((nint)neighbours[k] * stride), target, stride);
        }
    }

    /// <summary>y += a·x over <paramref name="length"/> floats (a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Axpy(float a, float* x, float* y, int length) => MultiplyAdd(a, x, y, y, length);

    /// <summary>x = y + a·x over <paramref name="length"/> floats (a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void ScaleAdd(float a, float* x, float* y, int length) => MultiplyAdd(a, x, y, x, length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MultiplyAdd(float a, float* x, float* y, float* target, int length)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            MultiplyAdd<SgdLanes256, Vector256<float>>(a, x, y, target, length);
        }
        else
        {
            MultiplyAdd<SgdLanes128, Vector128<float>>(a, x, y, target, length);
        }
    }

    /// <summary>target = a·x + y, elementwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void MultiplyAdd<TLanes, TVector>(float a, float* x, float* y, float* target, int length)
        where TLanes : ISgdLanes<TVector>
        where TVector : struct
    {
        var av = TLanes.Create(a);
        for (var j = 0; j < length; j += TLanes.Width)
        {
            TLanes.Store(TLanes.MultiplyAdd(TLanes.Load(x + j), av, TLanes.Load(y + j)), target + j);
        }
    }

    /// <summary>result = sign · G v over the first <paramref name="factors"/> rows (listed by <paramref name="gramRows"/>, 0 to factors − 1), zero beyond.</summary>
    internal static unsafe void MultiplyGram(float* gram, int* gramRows, float* v, float* result, int factors, int stride, float sign)
    {
        DotRows(gram, gramRows, factors, v, stride, result);
        for (var a = 0; a < stride; a++)
        {
            result[a] = a < factors ? sign * result[a] : 0;
        }
    }

    internal static void FillRowNumbers(Span<int> rows)
    {
        for (var a = 0; a < rows.Length; a++)
        {
            rows[a] = a;
        }
    }

    /// <param name="rowPenalty">Per row, λ_row added to its diagonal (<see cref="ImplicitAlsAdjacency.ScaledPenalty"/>); null: the λ is in <paramref name="gram"/>.</param>
    internal static void SolveAll(float[] rows, int count, float[] gram, float[] other, ImplicitAlsAdjacency adjacency, int factors, int stride, int cgSteps, float[]? rowPenalty = null)
    {
        Parallel.For(
            0,
            count,
            () => new float[(3 * stride) + adjacency.MaxDegree],
            (row, _, work) =>
            {
                var (start, end) = (adjacency.Start[row], adjacency.Start[row + 1]);
                SolveRow(gram, other, adjacency.Index.AsSpan(start, end - start), adjacency.Weight.AsSpan(start, end - start),
                    rows.AsSpan(row * stride, stride), factors, stride, cgSteps, work, rowPenalty?[row] ?? 0f);
                return work;
            },
            _ => { });
    }
}
