using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Models;

/// <summary>A predicted rating, clipped to the scale; says whether it fell back for an unknown user or item.</summary>
internal readonly record struct Prediction(float Value, bool UserKnown, bool ItemKnown)
{
    /// <summary>True when the user or the item was not in the training data, so their terms were dropped.</summary>
    public bool FellBack => !UserKnown || !ItemKnown;
}

/// <summary>
/// What every algorithm of LatentLens learns: r̂(u,i) = μ + b_u + b_i + p_u·q_i, clipped to the
/// rating scale. Baseline has no factors; PureSvd has no item biases. Factor rows are stored
/// row-major with <see cref="Stride"/> floats per row (the factor count rounded up to the SIMD
/// width, padding kept at zero), so a row is whole vectors.
/// </summary>
internal sealed class FactorModel
{
    public FactorModel(
        string algorithm,
        IdMap users,
        IdMap items,
        RatingScale scale,
        double globalMean,
        float[] userBias,
        float[] itemBias,
        int factors,
        int stride,
        float[] userFactors,
        float[] itemFactors)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(userBias);
        ArgumentNullException.ThrowIfNull(itemBias);
        ArgumentNullException.ThrowIfNull(userFactors);
        ArgumentNullException.ThrowIfNull(itemFactors);
        if (userBias.Length != users.Count || itemBias.Length != items.Count
            || userFactors.Length != users.Count * stride || itemFactors.Length != items.Count * stride
            || stride < factors)
        {
            throw new ArgumentException("Model arrays do not match the numbers of users, items and factors.");
        }

        if (stride % PaddedRows.Granule != 0)
        {
            throw new ArgumentException(
                $"The row stride {stride} is not a whole number of {PaddedRows.Granule}-float vectors: rows are padded with zeros to a multiple of {PaddedRows.Granule} (FactorLayout.StrideFor).",
                nameof(stride));
        }

        Algorithm = algorithm;
        Users = users;
        Items = items;
        Scale = scale;
        GlobalMean = globalMean;
        UserBias = userBias;
        ItemBias = itemBias;
        Factors = factors;
        Stride = stride;
        UserFactors = userFactors;
        ItemFactors = itemFactors;
    }

    public string Algorithm { get; }

    public IdMap Users { get; }

    public IdMap Items { get; }

    public RatingScale Scale { get; }

    public double GlobalMean { get; }

    public float[] UserBias { get; }

    public float[] ItemBias { get; }

    public int Factors { get; }

    public int Stride { get; }

    public float[] UserFactors { get; }

    public float[] ItemFactors { get; }

    /// <summary>
    /// Whether <see cref="Predict(int, int)"/> estimates a rating. Models that only rank (implicit ALS,
    /// PureSVD on the zero-filled matrix) score items on a scale of their own: RMSE means nothing for
    /// them and the API refuses rating predictions.
    /// </summary>
    public bool PredictsRatings { get; init; } = true;

    /// <summary>
    /// The per-item term that ranking adds to p_u·q_i when it is not the rating bias b_i (the popularity
    /// model ranks by popularity but predicts mean ratings); null means <see cref="ItemBias"/>.
    /// </summary>
    public float[]? RankingBias
    {
        get => _rankingBias;
        init
        {
            if (value is not null && value.Length != Items.Count)
            {
                throw new ArgumentException("The ranking bias does not match the number of items.", nameof(value));
            }

            _rankingBias = value;
        }
    }

    /// <summary>
    /// SVD++'s implicit item factors y_j (same layout as <see cref="ItemFactors"/>), which the served user vectors already
    /// include as |N(u)|^(-1/2) Σ y_j: kept so that a new user's implicit term can be formed from a history (fold-in);
    /// null for other families and for artifacts saved before it was.
    /// </summary>
    public float[]? ItemImplicitFactors
    {
        get => _itemImplicit;
        init
        {
            if (value is not null && value.Length != ItemFactors.Length)
            {
                throw new ArgumentException("The implicit item factors do not match the item factors.", nameof(value));
            }

            _itemImplicit = value;
        }
    }

    private readonly float[]? _itemImplicit;

    /// <summary>
    /// The item × item weights of an item-based model (EASE), which has no user factors: a user is scored from the
    /// history (Recommender/FoldIn); null for every factor model.
    /// </summary>
    public ItemWeights? ItemWeights
    {
        get => _itemWeights;
        init
        {
            if (value is not null && value.Items != Items.Count)
            {
                throw new ArgumentException("The item weights do not match the number of items.", nameof(value));
            }

            _itemWeights = value;
        }
    }

    private readonly ItemWeights? _itemWeights;

    /// <summary>What ranking adds per item: <see cref="RankingBias"/> or, by default, <see cref="ItemBias"/>.</summary>
    public float[] RankingOffsets => _rankingBias ?? ItemBias;

    private readonly float[]? _rankingBias;

    /// <summary>Predicts by dense indices; a negative index means unknown (Surprise's rule: drop the unknown side's terms).</summary>
    public Prediction Predict(int user, int item)
    {
        var userKnown = (uint)user < (uint)Users.Count;
        var itemKnown = (uint)item < (uint)Items.Count;
        var estimate = GlobalMean;
        if (userKnown)
        {
            estimate += UserBias[user];
        }

        if (itemKnown)
        {
            estimate += ItemBias[item];
        }

        if (userKnown && itemKnown && Factors > 0)
        {
            estimate += System.Numerics.Tensors.TensorPrimitives.Dot(
                UserFactors.AsSpan(user * Stride, Stride), ItemFactors.AsSpan(item * Stride, Stride));
        }

        return new Prediction(Scale.Clip((float)estimate), userKnown, itemKnown);
    }

    /// <summary>Predicts by raw ids.</summary>
    public Prediction Predict(string user, string item)
    {
        var u = Users.TryGetIndex(user, out var ui) ? ui : -1;
        var i = Items.TryGetIndex(item, out var ii) ? ii : -1;
        return Predict(u, i);
    }
}
