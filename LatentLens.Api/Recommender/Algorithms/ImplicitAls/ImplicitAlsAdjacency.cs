using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Algorithms;

/// <summary>One side's ratings in compressed rows: for row j, Index[Start[j]..Start[j+1]] are the other side's indices, Weight = α·r.</summary>
internal sealed record ImplicitAlsAdjacency(int[] Start, int[] Index, float[] Weight)
{
    public int MaxDegree { get; } = Enumerable.Range(0, Start.Length - 1).Select(j => Start[j + 1] - Start[j]).DefaultIfEmpty().Max();

    public static ImplicitAlsAdjacency ByUser(Trainset trainset, float alpha) =>
        Build(trainset.UserIndex, trainset.ItemIndex, trainset.Values, trainset.UserCount, alpha);

    public static ImplicitAlsAdjacency ByItem(Trainset trainset, float alpha) =>
        Build(trainset.ItemIndex, trainset.UserIndex, trainset.Values, trainset.ItemCount, alpha);

    /// <summary>
    /// Rendle et al. 2021's frequency-scaled regularisation, ν = 1, in this confidence form: a row's λ is
    /// <paramref name="lambda"/> times its total confidence over every column, Σ_rated c + the unrated count
    /// = <paramref name="otherCount"/> + Σ_rated α·r. A row with many (or high) ratings is held back harder.
    /// </summary>
    public float[] ScaledPenalty(double lambda, int otherCount)
    {
        var penalty = new float[Start.Length - 1];
        for (var j = 0; j < penalty.Length; j++)
        {
            double total = otherCount;
            for (var k = Start[j]; k < Start[j + 1]; k++)
            {
                total += Weight[k];
            }

            penalty[j] = (float)(lambda * total);
        }

        return penalty;
    }

    // Within a row the entries keep the trainset's order.
    private static ImplicitAlsAdjacency Build(int[] rowOf, int[] columnOf, float[] values, int rows, float alpha)
    {
        var byRow = RowIndex.Build(rowOf, rows);
        var weight = byRow.Arrange<float>(values);
        for (var k = 0; k < weight.Length; k++)
        {
            weight[k] *= alpha;
        }

        return new ImplicitAlsAdjacency(byRow.Starts, byRow.Arrange<int>(columnOf), weight);
    }
}
