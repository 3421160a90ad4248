namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>
/// How many vectors a factor row has, as a type: the JIT specialises a kernel per count, so the row
/// length is a constant in the machine code (loops over it unrolled, registers assigned per vector).
/// <see cref="VAny"/> (count 0) leaves the length to a run-time argument, for rows longer than any count named here.
/// </summary>
internal interface IVectorCount
{
    static abstract int Count { get; }
}

/// <summary>A row length known only at run time.</summary>
internal readonly struct VAny : IVectorCount { public static int Count => 0; }

internal readonly struct V1 : IVectorCount { public static int Count => 1; }
internal readonly struct V2 : IVectorCount { public static int Count => 2; }
internal readonly struct V3 : IVectorCount { public static int Count => 3; }
internal readonly struct V4 : IVectorCount { public static int Count => 4; }
internal readonly struct V5 : IVectorCount { public static int Count => 5; }
internal readonly struct V6 : IVectorCount { public static int Count => 6; }
internal readonly struct V7 : IVectorCount { public static int Count => 7; }
internal readonly struct V8 : IVectorCount { public static int Count => 8; }
internal readonly struct V9 : IVectorCount { public static int Count => 9; }
internal readonly struct V10 : IVectorCount { public static int Count => 10; }
internal readonly struct V11 : IVectorCount { public static int Count => 11; }
internal readonly struct V12 : IVectorCount { public static int Count => 12; }
internal readonly struct V13 : IVectorCount { public static int Count => 13; }
internal readonly struct V14 : IVectorCount { public static int Count => 14; }
internal readonly struct V15 : IVectorCount { public static int Count => 15; }
internal readonly struct V16 : IVectorCount { public static int Count => 16; }
internal readonly struct V17 : IVectorCount { public static int Count => 17; }
internal readonly struct V18 : IVectorCount { public static int Count => 18; }
internal readonly struct V19 : IVectorCount { public static int Count => 19; }
internal readonly struct V20 : IVectorCount { public static int Count => 20; }
internal readonly struct V21 : IVectorCount { public static int Count => 21; }
internal readonly struct V22 : IVectorCount { public static int Count => 22; }
internal readonly struct V23 : IVectorCount { public static int Count => 23; }
internal readonly struct V24 : IVectorCount { public static int Count => 24; }
internal readonly struct V25 : IVectorCount { public static int Count => 25; }
internal readonly struct V26 : IVectorCount { public static int Count => 26; }
internal readonly struct V27 : IVectorCount { public static int Count => 27; }
internal readonly struct V28 : IVectorCount { public static int Count => 28; }
internal readonly struct V29 : IVectorCount { public static int Count => 29; }
internal readonly struct V30 : IVectorCount { public static int Count => 30; }
internal readonly struct V31 : IVectorCount { public static int Count => 31; }
internal readonly struct V32 : IVectorCount { public static int Count => 32; }

/// <summary>Runs a kernel specialised for the row's vector count (1 to 32; <see cref="VAny"/> beyond).</summary>
internal interface IVectorCountAction<TResult>
{
    TResult Run<TCount>()
        where TCount : struct, IVectorCount;
}

internal static class VectorCounts
{
    public static TResult Dispatch<TAction, TResult>(int count, ref TAction action)
        where TAction : struct, IVectorCountAction<TResult> => count switch
    {
        1 => action.Run<V1>(),
        2 => action.Run<V2>(),
        3 => action.Run<V3>(),
        4 => action.Run<V4>(),
        5 => action.Run<V5>(),
        6 => action.Run<V6>(),
        7 => action.Run<V7>(),
        8 => action.Run<V8>(),
        9 => action.Run<V9>(),
        10 => action.Run<V10>(),
        11 => action.Run<V11>(),
        12 => action.Run<V12>(),
        13 => action.Run<V13>(),
        14 => action.Run<V14>(),
        15 => action.Run<V15>(),
        16 => action.Run<V16>(),
        17 => action.Run<V17>(),
        18 => action.Run<V18>(),
        19 => action.Run<V19>(),
        20 => action.Run<V20>(),
        21 => action.Run<V21>(),
        22 => action.Run<V22>(),
        23 => action.Run<V23>(),
        24 => action.Run<V24>(),
        25 => action.Run<V25>(),
        26 => action.Run<V26>(),
        27 => action.Run<V27>(),
        28 => action.Run<V28>(),
        29 => action.Run<V29>(),
        30 => action.Run<V30>(),
        31 => action.Run<V31>(),
        32 => action.Run<V32>(),
        _ => action.Run<VAny>(),
    };
}
