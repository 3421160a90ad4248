using LatentLens.Api.Recommender.FoldIn;
using MathNet.Numerics.LinearAlgebra;

namespace LatentLens.Tests.Recommender.FoldIn;

/// <summary>The shared solve at the sizes serving meets (up to f + 1 = 101 unknowns, 100 entries) against MathNet.</summary>
public sealed class NormalEquationsTests
{
    [Theory]
    [InlineData(1, 3)]
    [InlineData(9, 4)]
    [InlineData(17, 40)]
    [InlineData(37, 100)]
    [InlineData(101, 100)]
    [InlineData(112, 7)]
    public void SolvesTheWeightedNormalEquationsAndSplitsScoresExactly(int size, int entries)
    {
        var random = new Random(size * 31 + entries);
        var z = Matrix<double>.Build.Dense(entries, size, (_, _) => random.NextDouble() - 0.5);
        var v = Vector<double>.Build.Dense(entries, _ => random.NextDouble() * 2);
        var w = Vector<double>.Build.Dense(entries, _ => random.NextDouble() * 4 - 2);
        var b0 = Vector<double>.Build.Dense(size, _ => random.NextDouble() - 0.5);
        var a0 = Matrix<double>.Build.Dense(size, size, (_, _) => random.NextDouble() * 0.1);
        a0 = (a0 * a0.Transpose()) + (0.5 * Matrix<double>.Build.DenseIdentity(size));

        // Through the per-thread system twice (a second fold must not see the first), then a system of its own, then the
        // per-thread system again with A₀ copied in whole (SetMatrix: no clear, the previous factor overwritten).
        for (var round = 0; round < 4; round++)
        {
            var system = round is < 2 or 3 ? NormalEquations.Rent(size, entries) : new NormalEquations(size, entries);
            if (round == 3)
            {
                system.SetMatrix(NormalEquations.Padded(a0.ToRowMajorArray(), size));
            }
            else
            {
                system.AddMatrix(a0.ToRowMajorArray());
            }

            system.AddRightHandSide(b0.ToArray());
            for (var h = 0; h < entries; h++)
            {
                z.Row(h).ToArray().CopyTo(system.NextRow());
                system.Add(v[h], w[h]);
            }

            var x = system.Solve();
            var a = a0 + (z.Transpose() * Matrix<double>.Build.DenseOfDiagonalVector(v) * z);
            var expected = a.Solve(b0 + (z.Transpose() * w));
            for (var c = 0; c < size; c++)
            {
                Assert.True(Math.Abs(expected[c] - x[c]) < 1e-9 * (1 + Math.Abs(expected[c])), $"x[{c}]: {expected[c]} vs {x[c]}");
            }

            // PartOf: w_h z_hᵀA⁻¹t, summing to tᵀx − tᵀA⁻¹b₀.
            var t = Vector<double>.Build.Dense(size, _ => random.NextDouble() - 0.5);
            var parts = new float[entries];
            system.PartOf(t.ToArray(), parts);
            var expectedSum = t.DotProduct(Vector<double>.Build.DenseOfArray(x)) - t.DotProduct(a.Solve(b0));
            Assert.True(Math.Abs(expectedSum - parts.Sum()) < 1e-4 * (1 + Math.Abs(expectedSum)), $"{expectedSum} vs {parts.Sum()}");
        }
    }
}
