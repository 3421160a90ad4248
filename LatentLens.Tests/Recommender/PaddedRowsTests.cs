using System.Runtime.Intrinsics;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Tests.Recommender;

/// <summary>
/// The row layout's contract on whatever machine runs it: any stride that is whole 8-float vectors is read
/// exactly (a model padded to 8 on an AVX2 machine serves on an AVX-512 one), and nothing else is accepted.
/// </summary>
public sealed class PaddedRowsTests
{
    public static TheoryData<int, int> WidthsAndStrides()
    {
        var data = new TheoryData<int, int>();
        foreach (var width in new[] { 0, 128, 256, 512 })
        {
            foreach (var stride in new[] { 8, 16, 24, 32, 40, 48, 56, 64, 104, 112 })
            {
                data.Add(width, stride);
            }
        }

        return data;
    }

    /// <summary>
    /// Every width's code on every machine (width 0: the dispatch this machine takes); a width the CPU does not
    /// accelerate runs in .NET's software vectors with the same results, so the AVX-512 tail is tested on AVX2
    /// machines and the 128-bit path on x64.
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthsAndStrides))]
    public unsafe void DotReadsExactlyTheStrideAtEveryWidth(int width, int stride)
    {
        // Two rows back to back, the second filled with a value that shows up in any over-read of the first.
        var p = new float[2 * stride];
        var q = new float[2 * stride];
        double expected = 0;
        for (var f = 0; f < stride; f++)
        {
            p[f] = (f % 7) - 3;
            q[f] = (f % 5) + 0.5f;
            expected += (double)p[f] * q[f];
            p[stride + f] = 1000;
            q[stride + f] = 1000;
        }

        fixed (float* pp = p, qq = q)
        {
            float Dot(float* a, float* b) => width switch
            {
                512 => PaddedRows.Dot512(a, b, stride),
                256 => PaddedRows.Dot256(a, b, stride),
                128 => PaddedRows.Dot128(a, b, stride),
                _ => PaddedRows.Dot(a, b, stride),
            };

            Assert.Equal((float)expected, Dot(pp, qq));
            Assert.Equal(1_000_000f * stride, Dot(pp + stride, qq + stride));
        }
    }

    [Fact]
    public void FactorModelRefusesAStrideThatIsNotWholeVectors()
    {
        var users = new IdMap(["a"]);
        var items = new IdMap(["x", "y"]);
        var error = Assert.Throws<ArgumentException>(() => new FactorModel(
            "test", users, items, new RatingScale(1, 5), 3, [0f], [0f, 0f], factors: 3, stride: 12, new float[12], new float[24]));
        Assert.Contains("stride 12", error.Message);
        Assert.Equal("stride", error.ParamName);
    }

    [Fact]
    public void AStrideOfEightServesOnEveryMachine()
    {
        // The stride an AVX2 machine trains with; FactorLayout gives 16 where Vector512 is accelerated.
        var model = new FactorModel(
            "test", new IdMap(["a"]), new IdMap(["x", "y"]), new RatingScale(-100, 100), 0, [0f], [0f, 0f], factors: 3, stride: 8,
            [1, 2, 3, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
        Assert.Equal(6f, model.Predict(0, 0).Value);
        Assert.Equal(2f, model.Predict(0, 1).Value);
        Assert.Equal(Vector512.IsHardwareAccelerated ? 16 : 8, FactorLayout.StrideFor(3));
    }
}
