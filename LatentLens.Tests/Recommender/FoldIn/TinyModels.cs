using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.FoldIn;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace LatentLens.Tests.Recommender.FoldIn;

/// <summary>Tiny hand-made models whose fold-in a test can compute independently with MathNet.</summary>
internal static class TinyModels
{
    public static readonly RatingScale Scale = new(1, 5);

    /// <summary>The item factors of the tiny models: 6 items × 3 factors, arbitrary but well conditioned.</summary>
    public static readonly double[,] Q =
    {
        { 0.9, -0.2, 0.1 },
        { 0.3, 0.8, -0.4 },
        { -0.5, 0.4, 0.7 },
        { 0.2, -0.6, 0.5 },
        { 0.6, 0.1, -0.3 },
        { -0.1, 0.3, 0.2 },
    };

    public static readonly double[,] Y =
    {
        { 0.05, 0.1, -0.02 },
        { -0.03, 0.07, 0.04 },
        { 0.08, -0.05, 0.01 },
        { 0.02, 0.03, -0.06 },
        { -0.04, 0.02, 0.09 },
        { 0.01, -0.08, 0.03 },
    };

    public static readonly float[] ItemBias = [0.3f, -0.2f, 0.1f, -0.4f, 0.25f, 0f];

    public const double Mean = 3.5;

    public static readonly HistoryEntry[] History = [new(0, 5), new(2, 3), new(3, 4.5f), new(5, 1)];

    public static int Items => Q.GetLength(0);

    public static int Factors => Q.GetLength(1);

    public static Matrix<double> QMatrix => Matrix<double>.Build.DenseOfArray(Q);

    /// <summary>A model of <paramref name="algorithm"/> with two trained users (rows of 0.1s), the tiny items, the given parameters.</summary>
    public static SavedModel Model(string algorithm, IReadOnlyDictionary<string, string> parameters, double[,]? items = null, bool implicitFactors = false, float[]? userBias = null, double[,]? users = null)
    {
        items ??= Q;
        var factors = items.GetLength(1);
        var stride = FactorLayout.StrideFor(factors);
        var userRows = users ?? (factors == 0 ? new double[2, 0] : new double[,] { { 0.1, 0.1, 0.1 }, { -0.1, 0.2, 0 } });
        var userCount = userRows.GetLength(0);
        var model = new FactorModel(algorithm, new IdMap(Enumerable.Range(0, userCount).Select(Id)), new IdMap(Enumerable.Range(0, Items).Select(Id)), Scale, Mean,
            userBias ?? new float[userCount], (float[])ItemBias.Clone(), factors, stride, Rows(userRows, stride), Rows(items, stride))
        {
            ItemImplicitFactors = implicitFactors ? Rows(Y, stride) : null,
        };
        var offsets = new int[userCount + 1];
        return new SavedModel(model, new Dictionary<string, string>(), offsets, [], parameters, "now") { RatedValues = [] };
    }

    public static float[] Rows(double[,] values, int stride)
    {
        var rows = new float[values.GetLength(0) * stride];
        for (var r = 0; r < values.GetLength(0); r++)
        {
            for (var c = 0; c < values.GetLength(1); c++)
            {
                rows[(r * stride) + c] = (float)values[r, c];
            }
        }

        return rows;
    }

    public static string Id(int n) => n.ToString(CultureInfo.InvariantCulture);

    public static Vector<double> Row(double[,] values, int r) =>
        Vector<double>.Build.Dense(values.GetLength(1), c => values[r, c]);

    public static void AssertClose(Vector<double> expected, ReadOnlySpan<float> actual, double tolerance) => AssertClose(expected.ToArray(), actual, tolerance);

    public static void AssertClose(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        for (var c = 0; c < expected.Count; c++)
        {
            Assert.True(Math.Abs(expected[c] - actual[c]) <= tolerance, $"component {c}: expected {expected[c]}, got {actual[c]}");
        }

        for (var c = expected.Count; c < actual.Length; c++)
        {
            Assert.Equal(0f, actual[c]);
        }
    }
}
