using System.Runtime.Intrinsics;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Numerics;
using Xunit.Abstractions;

namespace LatentLens.Tests.Recommender;

/// <summary>
/// <c>.ci/run</c> runs the Recommender tests again with the runtime's own switches turning the wider instruction
/// sets off (<c>DOTNET_EnableAVX512=0</c>, then <c>DOTNET_EnableAVX2=0</c>) and says, in
/// <c>LATENTLENS_EXPECT_VECTOR_BITS</c>, the widest vector the run claims to use. This test fails when the switch
/// did not switch (a renamed variable: <c>DOTNET_EnableAVX512F</c> is ignored by .NET 10), so a variant cannot pass
/// while silently running the default path again.
/// </summary>
public sealed class InstructionSetVariantTests(ITestOutputHelper output)
{
    public const string ExpectedBitsVariable = "LATENTLENS_EXPECT_VECTOR_BITS";

    [Fact]
    public void TheRunUsesTheVectorWidthItClaims()
    {
        var claimed = Environment.GetEnvironmentVariable(ExpectedBitsVariable);
        var widest = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;
        output.WriteLine($"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}; FunkSvd loop {SgdPaths.Hardware}; row stride for 3 factors {FactorLayout.StrideFor(3)}; claimed {claimed ?? "nothing"}");

        // The layout and the loop follow the widest accelerated vector, whatever the run claims.
        Assert.Equal(widest == 512 ? 16 : 8, FactorLayout.StrideFor(3));
        Assert.Equal(widest switch { 512 => SgdPath.V512, 256 => SgdPath.V256, 128 => SgdPath.V128, _ => SgdPath.Scalar }, SgdPaths.Hardware);
        if (!string.IsNullOrEmpty(claimed))
        {
            Assert.True(int.TryParse(claimed, out var bits), $"{ExpectedBitsVariable}='{claimed}' is not a number of bits");
            Assert.True(widest == bits, $"{ExpectedBitsVariable}={bits}, but the widest accelerated vector is {widest} bits: the runtime switch of this variant did not take effect");
        }
    }
}
