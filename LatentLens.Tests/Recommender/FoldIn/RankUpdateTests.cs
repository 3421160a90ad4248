using LatentLens.Api.Recommender.FoldIn;

namespace LatentLens.Tests.Recommender.FoldIn;

/// <summary>
/// The register-tiled rank-k update and the blocked Cholesky built on it, at every vector width (whatever this machine
/// accelerates), against plain scalar loops, at sizes that are and are not multiples of the widths and of the tiles.
/// </summary>
public sealed class RankUpdateTests
{
    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (var width in new[] { 8, 4, 2 })
        {
            foreach (var (n, first, count) in new[] { (1, 0, 1), (3, 0, 5), (7, 2, 3), (8, 0, 8), (13, 5, 17), (24, 8, 1), (25, 0, 31), (37, 16, 16), (101, 0, 100), (101, 16, 16), (112, 48, 7) })
            {
                data.Add(width, n, first, count);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AddsTheRankKUpdateToTheUpperTriangleAsScalarLoopsDo(int width, int n, int first, int count)
    {
        var ld = DenseKernels.LeadingDimension(n);
        var random = new Random((n * 131) + (first * 7) + count + width);
        var a = new double[n * ld];
        var s = new double[count * ld];
        var z = new double[count * ld];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = random.NextDouble() - 0.5;
        }

        for (var h = 0; h < count; h++)
        {
            for (var c = 0; c < n; c++)
            {
                s[(h * ld) + c] = random.NextDouble() - 0.5;
                z[(h * ld) + c] = random.NextDouble() - 0.5;
            }
        }

        var expected = (double[])a.Clone();
        for (var r = first; r < n; r++)
        {
            for (var c = r; c < n; c++)
            {
                var sum = 0.0;
                for (var h = 0; h < count; h++)
                {
                    sum += s[(h * ld) + r] * z[(h * ld) + c];
                }

                expected[(r * ld) + c] += sum;
            }
        }

        RankUpdate.Add(a, n, ld, first, s, z, count, width);
        for (var r = 0; r < n; r++)
        {
            // Rows above the first and every padding column untouched; the upper triangle from the first row updated.
            for (var c = r < first ? 0 : r; c < ld; c++)
            {
                var e = expected[(r * ld) + c];
                Assert.True(Math.Abs(e - a[(r * ld) + c]) <= 1e-12 * (1 + count), $"width {width}, A[{r}, {c}]: {e} vs {a[(r * ld) + c]}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(101)]
    [InlineData(129)]
    public void BlockedCholeskyMatchesTheUnblockedFactorisation(int n)
    {
        var ld = DenseKernels.LeadingDimension(n);
        var random = new Random(n);
        var m = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                m[(i * n) + j] = random.NextDouble() - 0.5;
            }
        }

        // A = MMᵀ + nI, symmetric positive definite; the blocked factor (ld whole vectors) against the plain one (ld = n).
        var blocked = new double[n * ld];
        var plain = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                var sum = i == j ? n : 0.0;
                for (var c = 0; c < n; c++)
                {
                    sum += m[(i * n) + c] * m[(j * n) + c];
                }

                blocked[(i * ld) + j] = sum;
                plain[(i * n) + j] = sum;
            }
        }

        Assert.True(NormalEquations.Cholesky(blocked, n, ld));
        Assert.True(ScalarCholesky(plain, n));
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                var e = plain[(i * n) + j];
                Assert.True(Math.Abs(e - blocked[(i * ld) + j]) <= 1e-10 * (1 + Math.Abs(e)), $"U[{i}, {j}]: {e} vs {blocked[(i * ld) + j]}");
            }
        }
    }

    private static bool ScalarCholesky(double[] a, int n)
    {
        for (var k = 0; k < n; k++)
        {
            var d = a[(k * n) + k];
            for (var p = 0; p < k; p++)
            {
                d -= a[(p * n) + k] * a[(p * n) + k];
            }

            if (!(d > 0))
            {
                return false;
            }

            var pivot = Math.Sqrt(d);
            a[(k * n) + k] = pivot;
            for (var j = k + 1; j < n; j++)
            {
                var v = a[(k * n) + j];
                for (var p = 0; p < k; p++)
                {
                    v -= a[(p * n) + k] * a[(p * n) + j];
                }

                a[(k * n) + j] = v / pivot;
            }
        }

        return true;
    }
}
