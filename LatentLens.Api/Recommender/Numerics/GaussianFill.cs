using System.Runtime.CompilerServices;

namespace LatentLens.Api.Recommender.Numerics;

/// <summary>
/// Seeded normal draws for factor initialisation, fast enough not to matter next to training:
/// four interleaved xoshiro128** streams (System.Random with a seed falls back to a slow legacy
/// generator; one stream is bound by its own dependency chain) turned into normals by Marsaglia and
/// Tsang's ziggurat (a table look-up and a multiply for 99 % of draws). Hand-written because no kept
/// package offers a seeded normal sampler for spans.
/// </summary>
internal struct GaussianFill
{
    private Xoshiro _a;
    private Xoshiro _b;
    private Xoshiro _c;
    private Xoshiro _d;

    public GaussianFill(int seed)
        : this((ulong)(uint)seed)
    {
    }

    /// <summary>Streams from a 64-bit seed: the Gibbs samplers derive one per row and sample, so two rows never share a stream.</summary>
    public GaussianFill(ulong seed)
    {
        // SplitMix64 expands the seed into the streams' states, as xoshiro's authors recommend.
        var x = seed;
        _a = new Xoshiro(ref x);
        _b = new Xoshiro(ref x);
        _c = new Xoshiro(ref x);
        _d = new Xoshiro(ref x);
    }

    /// <summary>Fills <paramref name="destination"/> with N(mean, std²) draws.</summary>
    /// <remarks>Jitted fully optimised at once: a fit calls it once per row, too few calls for tiering to reach it in time.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Fill(Span<float> destination, float mean, float std)
    {
        // The streams in locals: the loop touches no field, and four independent chains overlap.
        var (a, b, c, d) = (_a, _b, _c, _d);
        var n = 0;
        for (; n + 4 <= destination.Length; n += 4)
        {
            destination[n] = mean + (std * Draw(ref a));
            destination[n + 1] = mean + (std * Draw(ref b));
            destination[n + 2] = mean + (std * Draw(ref c));
            destination[n + 3] = mean + (std * Draw(ref d));
        }

        for (; n < destination.Length; n++)
        {
            destination[n] = mean + (std * Draw(ref a));
        }

        (_a, _b, _c, _d) = (a, b, c, d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Draw(ref Xoshiro random)
    {
        var hz = (int)random.NextUInt();
        var iz = hz & 127;

        // |hz| as an unsigned number (2^31 for int.MinValue), compared without a branch on the sign.
        var sign = hz >> 31;
        var magnitude = (uint)((hz ^ sign) - sign);
        return magnitude < Ziggurat.KFast[iz] ? hz * Ziggurat.WFast[iz] : (float)Slow(ref random, hz, iz);
    }

    /// <summary>The ziggurat when the fast test fails: the wedge between layers, or the tail.</summary>
    private static double Slow(ref Xoshiro random, int hz, int iz)
    {
        while (true)
        {
            var x = hz * Ziggurat.W[iz];
            if (iz == 0)
            {
                // The tail beyond r, by Marsaglia's exponential method.
                double tail, y;
                do
                {
                    tail = -Math.Log(random.NextUniform()) / Ziggurat.R;
                    y = -Math.Log(random.NextUniform());
                }
                while (y + y < tail * tail);

                return hz > 0 ? Ziggurat.R + tail : -Ziggurat.R - tail;
            }

            if (Ziggurat.F[iz] + (random.NextUniform() * (Ziggurat.F[iz - 1] - Ziggurat.F[iz])) < Math.Exp(-0.5 * x * x))
            {
                return x;
            }

            hz = (int)random.NextUInt();
            iz = hz & 127;
            if (Math.Abs((long)hz) < Ziggurat.K[iz])
            {
                return hz * Ziggurat.W[iz];
            }
        }
    }

    /// <summary>xoshiro128** (Blackman and Vigna).</summary>
    private struct Xoshiro
    {
        private uint _s0, _s1, _s2, _s3;

        public Xoshiro(ref ulong seed)
        {
            _s0 = (uint)SplitMix(ref seed);
            _s1 = (uint)SplitMix(ref seed);
            _s2 = (uint)SplitMix(ref seed);
            _s3 = (uint)SplitMix(ref seed);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint NextUInt()
        {
            var result = uint.RotateLeft(_s1 * 5, 7) * 9;
            var t = _s1 << 9;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = uint.RotateLeft(_s3, 11);
            return result;
        }

        /// <summary>Uniform in (0, 1).</summary>
        public double NextUniform() => ((NextUInt() >> 8) + 0.5) * (1.0 / 16777216.0);

        private static ulong SplitMix(ref ulong x)
        {
            var z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>The ziggurat's layer tables (Marsaglia and Tsang, 2000), built once.</summary>
    private static class Ziggurat
    {
        public const double R = 3.442619855899;
        private const double V = 9.91256303526217e-3;
        private const double M1 = 2147483648.0;

        public static readonly long[] K = BuildK();
        public static readonly double[] W = BuildW();
        public static readonly double[] F = BuildF();

        /// <summary>K as unsigned (every entry is below 2^31) and W in single precision, for the fast path.</summary>
        public static readonly uint[] KFast = Array.ConvertAll(K, k => (uint)k);
        public static readonly float[] WFast = Array.ConvertAll(W, w => (float)w);

        private static (long[] K, double[] W, double[] F) Build()
        {
            var k = new long[128];
            var w = new double[128];
            var f = new double[128];
            var dn = R;
            var tn = dn;
            var q = V / Math.Exp(-0.5 * dn * dn);
            k[0] = (long)(dn / q * M1);
            k[1] = 0;
            w[0] = q / M1;
            w[127] = dn / M1;
            f[0] = 1.0;
            f[127] = Math.Exp(-0.5 * dn * dn);
            for (var i = 126; i >= 1; i--)
            {
                dn = Math.Sqrt(-2.0 * Math.Log((V / dn) + Math.Exp(-0.5 * dn * dn)));
                k[i + 1] = (long)(dn / tn * M1);
                tn = dn;
                f[i] = Math.Exp(-0.5 * dn * dn);
                w[i] = dn / M1;
            }

            return (k, w, f);
        }

        private static long[] BuildK() => Build().K;

        private static double[] BuildW() => Build().W;

        private static double[] BuildF() => Build().F;
    }
}
