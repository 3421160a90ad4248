using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// Which FunkSvd epoch loop runs. <see cref="Auto"/> picks the widest one the hardware accelerates;
/// the others force a path on any machine (a width the hardware does not accelerate runs in .NET's
/// software implementation of the vector types: the same arithmetic, much slower), so every path can
/// be tested everywhere.
/// </summary>
internal enum SgdPath
{
    Auto,

    /// <summary>One float at a time, Surprise's formulas as written: the fallback without SIMD.</summary>
    Scalar,

    /// <summary>128-bit vectors (ARM64 NEON, SSE), user row partly in registers (<see cref="FunkSvdLanesKernel"/>).</summary>
    V128,

    /// <summary>256-bit vectors (AVX2), user row partly in registers (<see cref="FunkSvdLanesKernel"/>).</summary>
    V256,

    /// <summary>512-bit vectors (AVX-512), user row in registers (<see cref="FunkSvdRegisterKernel"/>).</summary>
    V512,
}

/// <summary>Resolves <see cref="SgdPath.Auto"/> and the <c>LATENTLENS_SIMD</c> override to the path that runs.</summary>
internal static class SgdPaths
{
    /// <summary>Environment variable forcing a path for a whole process: <c>scalar</c>, <c>v128</c>, <c>v256</c>, <c>v512</c> or <c>auto</c>.</summary>
    public const string EnvironmentVariable = "LATENTLENS_SIMD";

    /// <summary>The widest path the hardware accelerates; the scalar loop where no vector width is.</summary>
    public static SgdPath Hardware =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? SgdPath.V512
        : Vector256.IsHardwareAccelerated ? SgdPath.V256
        : Vector128.IsHardwareAccelerated ? SgdPath.V128
        : SgdPath.Scalar;

    /// <summary>The path that runs: a forced option first, then <c>LATENTLENS_SIMD</c>, then the hardware.</summary>
    public static SgdPath Resolve(SgdPath requested) => Resolve(requested, Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary><see cref="Resolve(SgdPath)"/> with the variable's value given (tests must not set process-wide variables).</summary>
    public static SgdPath Resolve(SgdPath requested, string? environmentValue) =>
        requested != SgdPath.Auto ? requested
        : Parse(environmentValue) is var fromEnvironment and not SgdPath.Auto ? fromEnvironment
        : Hardware;

    public static SgdPath Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => SgdPath.Auto,
        "scalar" => SgdPath.Scalar,
        "v128" => SgdPath.V128,
        "v256" => SgdPath.V256,
        "v512" => SgdPath.V512,
        _ => throw new InvalidOperationException($"{EnvironmentVariable}='{value}' is not one of scalar, v128, v256, v512, auto."),
    };

    /// <summary>Floats per lane group of the path (1 for the scalar loop).</summary>
    public static int Width(SgdPath path) => path switch
    {
        SgdPath.V128 => 4,
        SgdPath.V256 => 8,
        SgdPath.V512 => 16,
        _ => 1,
    };

    /// <summary>
    /// The row stride the path trains with: whole vectors of the path and of <see cref="FactorLayout.StrideFor"/>
    /// (both powers of two, so the larger one), so the trained model serves with this machine's <see cref="PaddedRows.Dot"/>.
    /// </summary>
    public static int StrideFor(SgdPath path, int factors)
    {
        var width = Width(path);
        return Math.Max(FactorLayout.StrideFor(factors), (factors + width - 1) / width * width);
    }
}
