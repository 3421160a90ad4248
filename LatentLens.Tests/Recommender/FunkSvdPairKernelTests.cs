using LatentLens.Api.Recommender.Algorithms;

namespace LatentLens.Tests.Recommender;

/// <summary>
/// <see cref="FunkSvdPairKernel"/> against Surprise's update rule written plainly in double precision, in the order the
/// kernel documents: the block's users cut in two at a user boundary, one rating of each half in turn, then the rest
/// of the longer half. Runs whatever the machine (without AVX-512, .NET's software Vector512 does the same arithmetic).
/// </summary>
public sealed class FunkSvdPairKernelTests
{
    [Theory]
    [InlineData(16, 40, 30, 600)] // one vector; halves of different lengths
    [InlineData(112, 25, 12, 900)] // Surprise's 100 factors on AVX-512: seven vectors; few items, so the halves share items often
    [InlineData(128, 9, 50, 301)] // eight vectors, an odd count
    public unsafe void FollowsSurprisesRuleInTheInterleavedOrder(int stride, int users, int items, int n)
    {
        var random = new Random(stride + n);
        // Ratings grouped by user, users in order, uneven counts per user (one user may have none).
        var userOf = Enumerable.Range(0, n).Select(_ => random.Next(users)).Order().ToArray();
        var itemOf = Enumerable.Range(0, n).Select(_ => random.Next(items)).ToArray();
        var values = Enumerable.Range(0, n).Select(_ => (float)(1 + (4 * random.NextDouble()))).ToArray();
        float[] Rows(int rows) => [.. Enumerable.Range(0, rows * stride).Select(k => k % stride < stride - 3 ? (float)(0.1 * (random.NextDouble() - 0.5)) : 0f)];
        var (p, q) = (Rows(users), Rows(items));
        var (bu, bi) = (new float[users], new float[items]);
        for (var u = 0; u < users; u++)
        {
            bu[u] = (float)(0.2 * (random.NextDouble() - 0.5));
        }

        const float mu = 3.5f, lr = 0.005f, reg = 0.02f;
        var (ep, eq, ebu, ebi) = (p.Select(x => (double)x).ToArray(), q.Select(x => (double)x).ToArray(), bu.Select(x => (double)x).ToArray(), bi.Select(x => (double)x).ToArray());

        double sse;
        fixed (int* pu = userOf, pi = itemOf)
        fixed (float* pv = values, pbu = bu, pbi = bi, pp = p, pq = q)
        {
            var mid = FunkSvdPairKernel.SecondHalf(n, pu);
            Assert.InRange(mid, n / 2, n - 1); // the test's data has a second half
            sse = 0;
            for (var pass = 0; pass < 3; pass++)
            {
                sse = FunkSvdPairKernel.RunBlock(stride, n, pu, pi, pv, pbu, pbi, pp, pq, mu, lr, reg);
            }

            var expectedSse = 0.0;
            for (var pass = 0; pass < 3; pass++)
            {
                expectedSse = 0;
                foreach (var k in Order(n, mid))
                {
                    var (u, i) = (userOf[k], itemOf[k]);
                    var dot = 0.0;
                    for (var f = 0; f < stride; f++)
                    {
                        dot += ep[(u * stride) + f] * eq[(i * stride) + f];
                    }

                    var err = values[k] - (mu + ebu[u] + ebi[i] + dot);
                    expectedSse += err * err;
                    ebu[u] += lr * (err - (reg * ebu[u]));
                    ebi[i] += lr * (err - (reg * ebi[i]));
                    for (var f = 0; f < stride; f++)
                    {
                        var (pf, qf) = (ep[(u * stride) + f], eq[(i * stride) + f]);
                        ep[(u * stride) + f] += lr * ((err * qf) - (reg * pf));
                        eq[(i * stride) + f] += lr * ((err * pf) - (reg * qf));
                    }
                }
            }

            Assert.Equal(expectedSse, sse, 1e-3 * expectedSse);
        }

        // float32 against double, three passes: a few ulps a rating (the register kernel's tolerance).
        for (var k = 0; k < p.Length; k++)
        {
            Assert.Equal(ep[k], p[k], 3e-4);
        }

        for (var k = 0; k < q.Length; k++)
        {
            Assert.Equal(eq[k], q[k], 3e-4);
        }

        for (var u = 0; u < users; u++)
        {
            Assert.Equal(ebu[u], bu[u], 3e-4);
        }

        for (var i = 0; i < items; i++)
        {
            Assert.Equal(ebi[i], bi[i], 3e-4);
        }
    }

    [Fact]
    public unsafe void ABlockOfOneUserHasNoSecondHalf()
    {
        var users = new[] { 4, 4, 4, 4 };
        fixed (int* pu = users)
        {
            Assert.Equal(4, FunkSvdPairKernel.SecondHalf(4, pu));
        }
    }

    /// <summary>The kernel's documented order: A₀ B₀ A₁ B₁ … while both halves have ratings, then the rest of the longer one.</summary>
    private static IEnumerable<int> Order(int n, int mid)
    {
        int a = 0, b = mid;
        while (a < mid && b < n)
        {
            yield return a++;
            yield return b++;
        }

        while (a < mid)
        {
            yield return a++;
        }

        while (b < n)
        {
            yield return b++;
        }
    }
}
