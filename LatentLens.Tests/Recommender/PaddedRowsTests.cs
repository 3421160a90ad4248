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
    public static TheoryData<int> Strides => [8, 16, 24, 32, 40, 48, 56, 64, 104, 112];

    [Theory]
    [MemberData(nameof(Strides))]
    public unsafe void DotReadsExactlyTheStrideWhateverTheVectorWidth(int stride)
    {
        // Two rows back to back, the second filled with a value that would show up in any over-read of the
        // first; the arrays end exactly at the last row, so reading past it would touch the poison row or
        // (for the last row) memory beyond the array.
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
            Assert.Equal((float)expected, PaddedRows.Dot(pp, qq, stride));
            Assert.Equal(1_000_000f * stride, PaddedRows.Dot(pp + stride, qq + stride, stride));
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
