namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// Hyper-parameters of <see cref="ImplicitAls"/>. The defaults of factors, λ, its scaling and α are what
/// <c>train --search 20</c> chose on ml-latest-small's validation data (docs/training.md, "Defaults");
/// the Python <c>implicit</c> library's are 100 factors, λ = 0.01 unscaled, α = 1 (<see cref="Implicit"/>).
/// </summary>
internal sealed record ImplicitAlsOptions
{
    /// <summary>The Python <c>implicit</c> library's ALS defaults.</summary>
    public static ImplicitAlsOptions Implicit { get; } = new() { Factors = 100, Regularization = 0.01, ScaleRegularization = false, Alpha = 1.0 };

    public int Factors { get; init; } = 128;

    /// <summary>λ, added to the diagonal of YᵀY (and XᵀX); with <see cref="ScaleRegularization"/> each row's is λ times its total confidence.</summary>
    public double Regularization { get; init; } = 0.015;

    /// <summary>
    /// Whether λ is scaled per row by the row's total confidence (Rendle et al. 2021, "Revisiting the Performance
    /// of iALS on Item Recommendation Benchmarks": λ(|I_u| + α₀|I|)^ν with ν = 1, in Hu et al.'s confidence form);
    /// false: the same λ for every row, as <c>implicit</c>. Scaled, the useful λ is around 0.001 rather than 10..100.
    /// </summary>
    public bool ScaleRegularization { get; init; } = true;

    /// <summary>α in the confidence c = 1 + α·r of a rated pair.</summary>
    public double Alpha { get; init; } = 0.831;

    /// <summary>Alternating iterations; each updates every user, then every item.</summary>
    public int Iterations { get; init; } = 15;

    /// <summary>Conjugate-gradient steps per row and half-iteration, started from the row's current value.</summary>
    public int CgSteps { get; init; } = 3;

    public int Seed { get; init; }

    public void Validate()
    {
        if (Factors < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Factors), Factors, "factors must be at least 1");
        }

        if (Iterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, "iterations must be at least 1");
        }

        if (!(Regularization >= 0) || !double.IsFinite(Regularization))
        {
            throw new ArgumentOutOfRangeException(nameof(Regularization), Regularization, "the regularization must be zero or positive");
        }

        if (!(Alpha >= 0) || !double.IsFinite(Alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "alpha must be zero or positive");
        }

        if (CgSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CgSteps), CgSteps, "cg steps must be at least 1");
        }
    }
}
