using System.Runtime.CompilerServices;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>The implicit-feature blocks of the chain (SVD++-style y_j and z_v): their Gibbs step and their sums.</summary>
internal sealed partial class BpmfSampler
{
    /// <summary>
    /// One implicit block's vectors in turn: the y_j of the users' block (owners the users, members the
    /// items they rated, partners the items) or, symmetrically, the z_v of the items' block (owners the
    /// items, members their raters, partners the users). With G_o = Σ_{p∈R(o)} x_p x_pᵀ (x_p the partner's
    /// effective vector) and g_o = Σ_p x_p e_op (e the full residual), a member's conditional has precision
    /// Λ + α Σ_{o∋j} c_o² G_o and linear term Λμ + α Σ_o c_o (g_o + c_o G_o y_j); after the draw every
    /// owner's implicit sum and g_o move by the change, so the next member sees it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void SampleImplicit(BpmfImplicitBlock block, double[] partners, int sample)
    {
        var (k, d) = (_k, _d);
        var kk = k * k;
        var ownerCount = block.OwnerStarts.Length - 1;
        var memberCount = block.MemberStarts.Length - 1;
        var gram = block.Gram ??= new double[ownerCount * kk];
        var grad = block.Grad ??= new double[ownerCount * k];
        var data = block.MemberGram ??= new double[memberCount * kk];
        Array.Clear(gram);
        Array.Clear(grad);
        Array.Clear(data);
        var (ownerStarts, partnerIndex, values) = (block.OwnerStarts, block.Partners, block.Values);
        var (memberStarts, memberOwners) = (block.MemberStarts, block.MemberOwners);
        var (own, sums, members, norms) = (block.Own, block.Sums, block.Members, block.Norms);
        Parallel.For(0, ownerCount, () => new double[k], (o, _, t) =>
        {
            var po = own.AsSpan(o * d, d);
            po[..k].CopyTo(t);
            Add(t, sums.AsSpan(o * k, k));
            fixed (double* g = &gram[o * kk], h = &grad[o * k], v = partners)
            {
                for (var r = ownerStarts[o]; r < ownerStarts[o + 1]; r++)
                {
                    var vi = v + ((nint)partnerIndex[r] * d);
                    var e = values[r] - _mu - po[k] - vi[k] - Dot(new ReadOnlySpan<double>(vi, k), t);
                    for (var a = 0; a < k; a++)
                    {
                        h[a] += e * vi[a];
                    }

                    AddLowerOuter(g, k, vi, k);
                }

                Mirror(new Span<double>(g, kk), k);
            }

            return t;
        }, _ => { });

        Parallel.For(0, memberCount, j =>
        {
            fixed (double* pj = &data[j * kk], gAll = gram)
            {
                for (var r = memberStarts[j]; r < memberStarts[j + 1]; r++)
                {
                    var o = memberOwners[r];
                    var w = _alpha * norms[o] * norms[o];
                    var g = gAll + ((nint)o * kk);
                    for (var n = 0; n < kk; n++)
                    {
                        pj[n] += w * g[n];
                    }
                }
            }
        });

        var scratch = new Scratch(k);
        var delta = new double[k];
        fixed (double* gAll = gram, hAll = grad, sAll = sums, yAll = members, pAll = data, b = scratch.Linear, dl = delta)
        {
            for (var j = 0; j < memberCount; j++)
            {
                var pj = pAll + ((nint)j * kk);
                var yj = yAll + ((nint)j * k);
                for (var a = 0; a < k; a++)
                {
                    double sum = 0;
                    for (var c = 0; c < k; c++)
                    {
                        sum += pj[(a * k) + c] * yj[c];
                    }

                    b[a] = sum;
                }

                for (var r = memberStarts[j]; r < memberStarts[j + 1]; r++)
                {
                    var o = memberOwners[r];
                    var w = _alpha * norms[o];
                    var h = hAll + ((nint)o * k);
                    for (var a = 0; a < k; a++)
                    {
                        b[a] += w * h[a];
                    }
                }

                // Gaussian.TryDraw scales by α what it is given: hand it the data terms already scaled.
                new ReadOnlySpan<double>(pj, kk).CopyTo(scratch.Precision);
                var yjSpan = new Span<double>(yj, k);
                yjSpan.CopyTo(delta);
                var random = new GaussianFill(Stream(_options.Seed, sample, block.Id, j));
                if (!Gaussian.TryDraw(scratch.Precision, scratch.Linear, k, 1, block.Hyper.Lambda, block.Hyper.LambdaMu, ref random, scratch.Noise, yjSpan))
                {
                    throw NotPositiveDefinite();
                }

                for (var a = 0; a < k; a++)
                {
                    dl[a] = yj[a] - dl[a];
                }

                // sum_o += c_o·Δ and g_o −= c_o·G_o·Δ (G_o symmetric: a sum of its rows scaled by Δ).
                for (var r = memberStarts[j]; r < memberStarts[j + 1]; r++)
                {
                    var o = memberOwners[r];
                    var co = norms[o];
                    var so = sAll + ((nint)o * k);
                    var h = hAll + ((nint)o * k);
                    var g = gAll + ((nint)o * kk);
                    for (var c = 0; c < k; c++)
                    {
                        var step = co * dl[c];
                        so[c] += step;
                        var row = g + (c * k);
                        for (var a = 0; a < k; a++)
                        {
                            h[a] -= step * row[a];
                        }
                    }
                }
            }
        }

        // The sums were moved draw by draw; recompute them so rounding never accumulates across sweeps.
        RecomputeImplicitSums(block);
    }

    private void RecomputeImplicitSums(BpmfImplicitBlock block)
    {
        var k = _k;
        var (starts, partners, sums, members, norms) = (block.OwnerStarts, block.Partners, block.Sums, block.Members, block.Norms);
        Parallel.For(0, starts.Length - 1, o =>
        {
            var so = sums.AsSpan(o * k, k);
            so.Clear();
            for (var r = starts[o]; r < starts[o + 1]; r++)
            {
                Add(so, members.AsSpan(partners[r] * k, k));
            }

            for (var a = 0; a < k; a++)
            {
                so[a] *= norms[o];
            }
        });
    }
}
