using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>The mean μ and precision Λ of one block's rows, drawn from their Normal–Wishart posterior.</summary>
internal sealed class NormalWishartHyper
{
    private const double Beta0 = 2;

    public NormalWishartHyper(int d)
    {
        Lambda = new double[d * d];
        LambdaMu = new double[d];
        for (var a = 0; a < d; a++)
        {
            Lambda[(a * d) + a] = 1;
        }
    }

    public double[] Lambda { get; }

    public double[] LambdaMu { get; }

    public void Sample(double[] rows, int n, int d, Random random)
    {
        var mean = new double[d];
        for (var r = 0; r < n; r++)
        {
            for (var a = 0; a < d; a++)
            {
                mean[a] += rows[(r * d) + a];
            }
        }

        for (var a = 0; a < d; a++)
        {
            mean[a] /= Math.Max(1, n);
        }

        // W⁻¹ = W₀⁻¹ + N·S̄ + β₀N/(β₀+N)·x̄x̄ᵀ with W₀ = I and μ₀ = 0.
        var scatter = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseIdentity(d);
        var shrink = Beta0 * n / (Beta0 + n);
        for (var a = 0; a < d; a++)
        {
            for (var c = 0; c <= a; c++)
            {
                double sum = 0;
                for (var r = 0; r < n; r++)
                {
                    sum += (rows[(r * d) + a] - mean[a]) * (rows[(r * d) + c] - mean[c]);
                }

                var value = scatter[a, c] + sum + (shrink * mean[a] * mean[c]);
                scatter[a, c] = value;
                scatter[c, a] = value;
            }
        }

        var w = scatter.Inverse();
        w = (w + w.Transpose()) * 0.5;
        var lambda = MathNet.Numerics.Distributions.Wishart.Sample(random, d + n, w);

        // μ ~ N(μ*, (β*Λ)⁻¹) with μ* = N·x̄/(β₀+N), β* = β₀ + N.
        var betaStar = Beta0 + n;
        var precision = new double[d * d];
        var linear = new double[d];
        for (var a = 0; a < d; a++)
        {
            for (var c = 0; c < d; c++)
            {
                precision[(a * d) + c] = betaStar * lambda[a, c];
            }
        }

        if (!Gaussian.TryCholesky(precision, d))
        {
            throw BpmfSampler.NotPositiveDefinite();
        }

        for (var a = 0; a < d; a++)
        {
            linear[a] = MathNet.Numerics.Distributions.Normal.Sample(random, 0, 1);
        }

        Gaussian.SolveUpper(precision, d, linear);
        for (var a = 0; a < d; a++)
        {
            linear[a] += n * mean[a] / betaStar;
        }

        for (var a = 0; a < d; a++)
        {
            double lm = 0;
            for (var c = 0; c < d; c++)
            {
                Lambda[(a * d) + c] = lambda[a, c];
                lm += lambda[a, c] * linear[c];
            }

            LambdaMu[a] = lm;
        }
    }
}
