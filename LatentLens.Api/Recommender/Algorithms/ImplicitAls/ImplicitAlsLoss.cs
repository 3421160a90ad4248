using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary><see cref="ImplicitAls"/>'s reported loss: <c>implicit</c>'s <c>calculate_loss</c>, the full objective over the total confidence.</summary>
internal static class ImplicitAlsLoss
{
    /// <summary>
    /// implicit's <c>calculate_loss</c>: (Σ_obs c (1 − s)² + Σ_unobs s² + λ(|X|² + |Y|²)) / (Σ_obs c + unobserved count),
    /// with Σ_unobs s² = Σ_all s² − Σ_obs s² and Σ_all s² = Σ_u x_uᵀ(YᵀY)x_u. Costs about one CG step.
    /// </summary>
    /// <param name="userPenalty">Scaled regularisation: each user's own λ (then <paramref name="gramY"/> and <paramref name="reg"/> hold none); null otherwise.</param>
    /// <param name="itemPenalty">Scaled regularisation: each item's own λ; null otherwise.</param>
    internal static double Of(float[] x, float[] y, float[] gramY, ImplicitAlsAdjacency byUser, int users, int items, int factors, int stride, float reg,
        float[]? userPenalty = null, float[]? itemPenalty = null)
    {
        var perUser = new double[users];
        var confidence = new double[users];
        Parallel.For(
            0,
            users,
            () => new float[stride + byUser.MaxDegree],
            (u, _, buffer) =>
            {
                (perUser[u], confidence[u]) = UserLoss(x, y, gramY, byUser, u, factors, stride, buffer);
                return buffer;
            },
            _ => { });

        double loss = 0;
        double totalConfidence = 0;
        for (var u = 0; u < users; u++)
        {
            loss += perUser[u];
            totalConfidence += confidence[u];
        }

        loss += reg * SquaredNorm(y);
        loss += PenaltyOf(x, userPenalty, stride) + PenaltyOf(y, itemPenalty, stride);
        var unobserved = ((double)users * items) - byUser.Index.Length;
        return loss / Math.Max(1, totalConfidence + unobserved);
    }

    /// <summary>
    /// A user's share of the objective before normalisation: x_uᵀ(YᵀY + λI)x_u = Σ_all items s_ui² + λ|x_u|²,
    /// plus Σ_obs (c_ui(1 − s_ui)² − s_ui²), which swaps the rated items' s² for their weighted error; and Σ_obs c_ui.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe (double Loss, double Confidence) UserLoss(float[] x, float[] y, float[] gramY, ImplicitAlsAdjacency byUser, int u, int factors, int stride, float[] buffer)
    {
        var start = byUser.Start[u];
        var count = byUser.Start[u + 1] - start;
        Span<int> gramRows = factors <= 1024 ? stackalloc int[factors] : new int[factors];
        ImplicitAlsSolver.FillRowNumbers(gramRows);
        fixed (float* px = x, py = y, g = gramY, buf = buffer, w = byUser.Weight)
        fixed (int* gr = gramRows, index = byUser.Index)
        {
            var xu = px + ((nint)u * stride);
            ImplicitAlsSolver.MultiplyGram(g, gr, xu, buf, factors, stride, 1f);
            double sum = PaddedRows.Dot(xu, buf, stride);
            var scores = buf + stride;
            ImplicitAlsSolver.DotRows(py, index + start, count, xu, stride, scores);
            double c = 0;
            for (var k = 0; k < count; k++)
            {
                double s = scores[k];
                var cui = 1.0 + w[start + k];
                sum += (cui * (1 - s) * (1 - s)) - (s * s);
                c += cui;
            }

            return (sum, c);
        }
    }

    /// <summary>Σ_rows λ_row |row|²; 0 without per-row penalties.</summary>
    private static double PenaltyOf(float[] rows, float[]? penalty, int stride)
    {
        if (penalty is null)
        {
            return 0;
        }

        double sum = 0;
        for (var r = 0; r < penalty.Length; r++)
        {
            var row = rows.AsSpan(r * stride, stride);
            sum += penalty[r] * (double)System.Numerics.Tensors.TensorPrimitives.Dot(row, row);
        }

        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double SquaredNorm(float[] rows)
    {
        double sum = 0;
        fixed (float* p = rows)
        {
            for (var j = 0; j < rows.Length; j += Vector256<float>.Count)
            {
                var v = Vector256.Load(p + j);
                sum += Vector256.Sum(v * v);
            }
        }

        return sum;
    }
}
