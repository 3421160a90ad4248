using System.Globalization;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Numerics;

namespace LatentLens.Api.Recommender.Models;

/// <summary>A trained model with what serving needs beside it: titles and the items each user rated in training.</summary>
internal sealed record SavedModel(
    FactorModel Model,
    IReadOnlyDictionary<string, string> Titles,
    int[] RatedOffsets,
    int[] RatedItems,
    IReadOnlyDictionary<string, string> Parameters,
    string TrainedAt)
{
    /// <summary>The dense indices of the items <paramref name="user"/> rated in training.</summary>
    public ReadOnlySpan<int> RatedBy(int user) => RatedItems.AsSpan(RatedOffsets[user], RatedOffsets[user + 1] - RatedOffsets[user]);

    /// <summary>
    /// The training rating of each entry of <see cref="RatedItems"/> (same order), so a known user's history can be
    /// folded in again with fresh ratings added; null for an artifact written before it was saved.
    /// </summary>
    public float[]? RatedValues
    {
        get => _ratedValues;
        init
        {
            if (value is not null && value.Length != RatedItems.Length)
            {
                throw new ArgumentException("The rated values do not match the rated items.", nameof(value));
            }

            _ratedValues = value;
        }
    }

    private readonly float[]? _ratedValues;

    /// <summary>Each item's genres (names and a bitmask per dense item) where the training data had them; null otherwise.</summary>
    public ItemGenres? Genres
    {
        get => _genres;
        init
        {
            if (value is not null && value.Masks.Length != Model.Items.Count)
            {
                throw new ArgumentException("The item genres do not match the items.", nameof(value));
            }

            _genres = value;
        }
    }

    private readonly ItemGenres? _genres;

    /// <summary>The training ratings of <paramref name="user"/>, in the order of <see cref="RatedBy"/>; empty when not saved.</summary>
    public ReadOnlySpan<float> RatingsBy(int user) =>
        _ratedValues is null ? default : _ratedValues.AsSpan(RatedOffsets[user], RatedOffsets[user + 1] - RatedOffsets[user]);

    /// <summary>Builds the saved form from a model and the trainset it was fitted on.</summary>
    public static SavedModel From(FactorModel model, Trainset trainset, IReadOnlyDictionary<string, string> titles, IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainset);
        var offsets = RowIndex.StartsOf(trainset.UserIndex, trainset.UserCount);

        // The trainset is grouped by user, so its item column is already in user order.
        var items = (int[])trainset.ItemIndex.Clone();
        var itemTitles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in model.Items.RawIds)
        {
            if (titles.TryGetValue(id, out var title))
            {
                itemTitles[id] = title;
            }
        }

        return new SavedModel(model, itemTitles, offsets, items, parameters, DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture))
        {
            RatedValues = (float[])trainset.Values.Clone(),
        };
    }
}
