namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// Seeded normal draws for factor initialisation, fast enough not to matter next to training:
/// xoshiro128** uniforms (System.Random with a seed falls back to a slow legacy generator) turned
/// into normals by Box–Muller in single precision. (TensorPrimitives.Log measured 100 ns a value
/// here, slower than MathF.Log.) Hand-written because no kept package offers a seeded normal sampler for spans.
/// </summary>
internal struct GaussianFill
{
    private uint _s0, _s1, _s2, _s3;

    public GaussianFill(int seed)
    {
        // SplitMix64 expands the seed into the generator's state, as xoshiro's authors recommend.
        var x = (ulong)(uint)seed;
        _s0 = (uint)SplitMix(ref x);
        _s1 = (uint)SplitMix(ref x);
        _s2 = (uint)SplitMix(ref x);
        _s3 = (uint)SplitMix(ref x);
    }

    /// <summary>Fills <paramref name="destination"/> with N(mean, std²) draws.</summary>
    public void Fill(Span<float> destination, float mean, float std)
    {
        for (var k = 0; k < destination.Length; k += 2)
        {
            // Uniforms in (0, 1]: the log never sees zero.
            var u1 = ((NextUInt() >> 8) + 1) * (1f / 16777216f);
            var u2 = (NextUInt() >> 8) * (1f / 16777216f);
            var radius = std * MathF.Sqrt(-2f * MathF.Log(u1));
            var (sin, cos) = MathF.SinCos(2f * MathF.PI * u2);
            destination[k] = mean + (radius * cos);
            if (k + 1 < destination.Length)
            {
                destination[k + 1] = mean + (radius * sin);
            }
        }
    }

    private uint NextUInt()
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

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
