using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Recommender.Numerics;
using LatentLens.Api.Tracking;

namespace LatentLens.Api.Tracking.Artifacts;

/// <summary>
/// The <c>model/</c> artifact of a run, format version 1: an <c>MLmodel</c> file with a
/// <c>latentlens</c> flavor, the arrays as NumPy <c>.npy</c> files (float32 factors and biases,
/// int32 rated-item lists) and <c>model.json</c> with the id maps, global mean, rating scale,
/// titles, parameters and (optionally) genres. Python: <c>np.load("item_factors.npy")</c>, <c>json.load(open("model.json"))</c>.
/// </summary>
internal static partial class ModelArtifact
{
    public const int FormatVersion = 1;
    public const string FlavorName = "latentlens";
    public const string ArtifactPath = "model";
    public const string MlflowVersion = "2.12.1";

    // Source-generated metadata (HeaderJson): no reflection when the API loads its first model (docs/benchmarks.md §14).
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, TypeInfoResolver = HeaderJson.Default };

    /// <summary>The files of the artifact, by name; <c>MLmodel</c> last, so a reader that finds it finds the rest.</summary>
    public static IReadOnlyList<(string Name, byte[] Content)> Build(SavedModel saved, string runId, string modelUuid, DateTime createdUtc)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var m = saved.Model;
        var header = new ModelHeader
        {
            FormatVersion = FormatVersion,
            Algorithm = m.Algorithm,
            Factors = m.Factors,
            GlobalMean = m.GlobalMean,
            RatingScale = [m.Scale.Min, m.Scale.Max],
            Users = [.. m.Users.RawIds],
            Items = [.. m.Items.RawIds],
            Titles = new SortedDictionary<string, string>(saved.Titles.ToDictionary(), StringComparer.Ordinal),
            Parameters = new SortedDictionary<string, string>(saved.Parameters.ToDictionary(), StringComparer.Ordinal),
            TrainedAt = saved.TrainedAt,
            PredictsRatings = m.PredictsRatings,
            Genres = saved.Genres is { } g ? [.. g.Names] : null,
            ItemGenres = saved.Genres is { } ig ? [.. Enumerable.Range(0, m.Items.Count).Select(i => ig.Of(i).ToArray())] : null,
            Arrays = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["user_factors"] = "user_factors.npy",
                ["item_factors"] = "item_factors.npy",
                ["user_bias"] = "user_bias.npy",
                ["item_bias"] = "item_bias.npy",
                ["rated_offsets"] = "rated_offsets.npy",
                ["rated_items"] = "rated_items.npy",
            },
        };

        if (m.RankingBias is not null)
        {
            header.Arrays["ranking_bias"] = "ranking_bias.npy";
        }

        if (saved.RatedValues is not null)
        {
            header.Arrays["rated_values"] = "rated_values.npy";
        }

        if (m.ItemImplicitFactors is not null)
        {
            header.Arrays["item_implicit"] = "item_implicit.npy";
        }

        if (m.ItemWeights is { } weights)
        {
            header.Arrays["item_weight_offsets"] = "item_weight_offsets.npy";
            header.Arrays["item_weight_items"] = "item_weight_items.npy";
            header.Arrays["item_weight_values"] = "item_weight_values.npy";
            header.ItemWeightsBinary = weights.Binary;
        }

        var time = MlflowNames.FormatModelTime(createdUtc);
        (string, byte[])[] rankingBias = m.RankingBias is { } bias ? [("ranking_bias.npy", NpyFile.WriteVector(bias))] : [];
        (string, byte[])[] ratedValues = saved.RatedValues is { } values ? [("rated_values.npy", NpyFile.WriteVector(values))] : [];
        (string, byte[])[] itemImplicit = m.ItemImplicitFactors is { } implicitRows ? [("item_implicit.npy", NpyFile.WriteMatrix(implicitRows, m.Items.Count, m.Factors, m.Stride))] : [];
        (string, byte[])[] itemWeights = m.ItemWeights is { } w
            ? [("item_weight_offsets.npy", NpyFile.WriteInt32(w.Offsets)), ("item_weight_items.npy", NpyFile.WriteInt32(w.Columns)), ("item_weight_values.npy", NpyFile.WriteVector(w.Values))]
            : [];
        return
        [
            .. rankingBias,
            .. ratedValues,
            .. itemImplicit,
            .. itemWeights,
            ("user_factors.npy", NpyFile.WriteMatrix(m.UserFactors, m.Users.Count, m.Factors, m.Stride)),
            ("item_factors.npy", NpyFile.WriteMatrix(m.ItemFactors, m.Items.Count, m.Factors, m.Stride)),
            ("user_bias.npy", NpyFile.WriteVector(m.UserBias)),
            ("item_bias.npy", NpyFile.WriteVector(m.ItemBias)),
            ("rated_offsets.npy", NpyFile.WriteInt32(saved.RatedOffsets)),
            ("rated_items.npy", NpyFile.WriteInt32(saved.RatedItems)),
            ("model.json", JsonSerializer.SerializeToUtf8Bytes(header, Json)),
            .. PythonFlavor.Files(),
            ("MLmodel", MlflowYaml.Utf8NoBom.GetBytes(MlflowYaml.Write(new Dictionary<string, object?>
            {
                ["artifact_path"] = ArtifactPath,
                ["flavors"] = Flavors(m),
                ["metadata"] = new Dictionary<string, object?> { ["trained_by"] = "LatentLens" },
                ["mlflow_version"] = MlflowVersion,
                ["model_uuid"] = modelUuid,
                ["run_id"] = runId,
                ["utc_time_created"] = time,
            }))),
        ];
    }

    public static Dictionary<string, object?> Flavors(FactorModel model) => new()
    {
        [FlavorName] = new Dictionary<string, object?>
        {
            ["algorithm"] = model.Algorithm,
            ["data"] = "model.json",
            ["factors"] = model.Factors,
            ["format_version"] = FormatVersion,
            ["framework"] = "LatentLens (C#)",
        },
        [PythonFlavor.Name] = PythonFlavor.Conf(),
    };

    /// <summary>
    /// Loads a <c>model/</c> folder; throws <see cref="InvalidDataException"/> naming the file that is missing or
    /// broken and what is wrong with it. A model that loads is safe to serve: every array has the shape
    /// <c>model.json</c> gives it and finite values, and the rated-item lists index within the catalogue. The
    /// API keeps serving its current model when this throws, so a check missed here becomes a 500 there.
    /// </summary>
    public static SavedModel Load(string folder)
    {
        var mlmodel = Path.Combine(folder, "MLmodel");
        if (!File.Exists(mlmodel))
        {
            throw new InvalidDataException($"{mlmodel}: missing; {folder} is not a model");
        }

        Parse(mlmodel, () =>
        {
            var flavors = MlflowYaml.ReadMapping(File.ReadAllText(mlmodel)).Children[new YamlDotNet.RepresentationModel.YamlScalarNode("flavors")];
            return flavors is YamlDotNet.RepresentationModel.YamlMappingNode map && map.Children.ContainsKey(new YamlDotNet.RepresentationModel.YamlScalarNode(FlavorName))
                ? true
                : throw new InvalidDataException($"no '{FlavorName}' flavor");
        });

        var jsonPath = Path.Combine(folder, "model.json");
        var (header, users, items) = Parse(jsonPath, () => ReadHeader(jsonPath));
        var stride = FactorLayout.StrideFor(header.Factors);
        var userFactors = ReadMatrix(folder, "user_factors.npy", users.Count, header.Factors, stride);
        var itemFactors = ReadMatrix(folder, "item_factors.npy", items.Count, header.Factors, stride);
        var userBias = ReadMatrix(folder, "user_bias.npy", users.Count, -1, 0);
        var itemBias = ReadMatrix(folder, "item_bias.npy", items.Count, -1, 0);
        var rated = ReadInts(folder, "rated_items.npy", items.Count, null);
        var offsets = ReadInts(folder, "rated_offsets.npy", users.Count + 1, rated.Length);

        // Optional since the first format: a model that ranks by a term of its own, or does not predict ratings.
        var rankingBias = header.Arrays?.ContainsKey("ranking_bias") == true ? ReadMatrix(folder, "ranking_bias.npy", items.Count, -1, 0) : null;

        // Optional since SVD++ saved them for fold-in: its implicit item factors y_j.
        var itemImplicit = header.Arrays?.ContainsKey("item_implicit") == true ? ReadMatrix(folder, "item_implicit.npy", items.Count, header.Factors, stride) : null;
        // Optional since ease: the sparse item × item weights of a model that scores from histories.
        var itemWeights = header.Arrays?.ContainsKey("item_weight_offsets") == true ? ReadItemWeights(folder, items.Count, header.ItemWeightsBinary ?? false) : null;
        var model = Parse(folder, () => new FactorModel(header.Algorithm ?? "unknown", users, items, new RatingScale(header.RatingScale![0], header.RatingScale[1]),
            header.GlobalMean, userBias, itemBias, header.Factors, stride, userFactors, itemFactors)
        {
            PredictsRatings = header.PredictsRatings ?? true,
            RankingBias = rankingBias,
            ItemImplicitFactors = itemImplicit,
            ItemWeights = itemWeights,
        });
        // Optional since rated values were saved: a known user's training ratings, for fold-in with fresh ratings.
        var ratedValues = header.Arrays?.ContainsKey("rated_values") == true ? ReadMatrix(folder, "rated_values.npy", rated.Length, -1, 0) : null;
        // Optional since genres were carried: without them the API's genre filter says the model has none.
        var genres = header.Genres is null ? null : Parse(jsonPath, () => ReadGenres(header, items.Count));
        return new SavedModel(model, header.Titles ?? [], offsets, rated, header.Parameters ?? [], header.TrainedAt ?? string.Empty)
        {
            RatedValues = ratedValues,
            Genres = genres,
        };
    }

    private static (ModelHeader Header, IdMap Users, IdMap Items) ReadHeader(string jsonPath)
    {
        var header = JsonSerializer.Deserialize<ModelHeader>(File.ReadAllBytes(jsonPath), Json)
            ?? throw new InvalidDataException("empty");
        if (header.FormatVersion != FormatVersion)
        {
            throw new InvalidDataException($"format version {header.FormatVersion}; this LatentLens reads version {FormatVersion}");
        }

        if (header.RatingScale is not { Length: 2 } || header.Users is null || header.Items is null)
        {
            throw new InvalidDataException("incomplete (rating_scale, users, items and factors are required)");
        }

        // The padded row width must stay an int, whatever the header claims.
        if (header.Factors is < 0 or > MaxFactors)
        {
            throw new InvalidDataException($"factors is {header.Factors}, not between 0 and {MaxFactors}");
        }

        if (!double.IsFinite(header.GlobalMean))
        {
            throw new InvalidDataException($"global_mean is {header.GlobalMean}, not a finite number");
        }

        if (!float.IsFinite(header.RatingScale[0]) || !float.IsFinite(header.RatingScale[1]) || header.RatingScale[0] >= header.RatingScale[1])
        {
            throw new InvalidDataException(FormattableString.Invariant($"rating_scale [{header.RatingScale[0]}, {header.RatingScale[1]}] is not two finite numbers, min < max"));
        }

        if (header.Users.Any(u => u is null) || header.Items.Any(i => i is null))
        {
            throw new InvalidDataException("users and items must be lists of strings");
        }

        return (header, new IdMap(header.Users), new IdMap(header.Items));
    }

    private const int MaxFactors = 1 << 20;

    /// <summary><c>genres</c> (names) and <c>item_genres</c> (per item of <c>items</c>, the indices of its genres).</summary>
    private static ItemGenres ReadGenres(ModelHeader header, int items)
    {
        var names = header.Genres!;
        if (header.ItemGenres is not { } perItem || perItem.Length != items)
        {
            throw new InvalidDataException($"genres are given but item_genres does not list one entry per item ({items})");
        }

        if (names.Length > ItemGenres.MaxGenres || names.Any(string.IsNullOrEmpty))
        {
            throw new InvalidDataException($"genres must be at most {ItemGenres.MaxGenres} non-empty names");
        }

        var masks = new ulong[items];
        for (var i = 0; i < items; i++)
        {
            foreach (var g in perItem[i] ?? throw new InvalidDataException($"item_genres[{i}] is null"))
            {
                masks[i] |= (uint)g < (uint)names.Length ? 1UL << g : throw new InvalidDataException($"item_genres[{i}] holds {g}, not a genre index below {names.Length}");
            }
        }

        return new ItemGenres(names, masks);
    }

    /// <summary>Runs <paramref name="read"/> and reports any way it fails as one <see cref="InvalidDataException"/> naming <paramref name="path"/>.</summary>
    private static T Parse<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or JsonException or YamlDotNet.Core.YamlException
            or KeyNotFoundException or ArgumentException or FormatException or OverflowException or InvalidCastException or NotSupportedException or IndexOutOfRangeException)
        {
            throw new InvalidDataException(ex is InvalidDataException ? $"{path}: {ex.Message}" : $"{path}: unreadable ({ex.Message})", ex);
        }
    }

    /// <summary>Reads a rows × columns matrix of finite floats into padded rows of <paramref name="stride"/> floats (columns = -1: a vector).</summary>
    private static float[] ReadMatrix(string folder, string name, int rows, int columns, int stride)
    {
        var path = Path.Combine(folder, name);
        return Parse(path, () =>
        {
            var (data, shape) = NpyFile.Read(File.ReadAllBytes(path));
            int[] expected = columns < 0 ? [rows] : [rows, columns];
            if (!shape.SequenceEqual(expected))
            {
                throw new InvalidDataException($"shape ({string.Join(", ", shape)}) is not ({string.Join(", ", expected)}) as model.json says");
            }

            var bad = Array.FindIndex(data, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                var where = columns < 0 ? $"element {bad}" : $"row {bad / columns}, column {bad % columns}";
                throw new InvalidDataException(FormattableString.Invariant($"{where} is {data[bad]}; every value must be finite"));
            }

            if (columns < 0 || columns == stride)
            {
                return data;
            }

            var padded = new float[checked(rows * stride)];
            for (var r = 0; r < rows; r++)
            {
                data.AsSpan(r * columns, columns).CopyTo(padded.AsSpan(r * stride));
            }

            return padded;
        });
    }

    /// <summary>The three arrays of the item weights (offsets, items, values), each checked against model.json and the others.</summary>
    private static ItemWeights ReadItemWeights(string folder, int items, bool binary)
    {
        var columns = ReadInts(folder, "item_weight_items.npy", items, null);
        var offsets = ReadInts(folder, "item_weight_offsets.npy", items + 1, columns.Length, "item_weight_items.npy", "items");
        var values = ReadMatrix(folder, "item_weight_values.npy", columns.Length, -1, 0);
        var path = Path.Combine(folder, "item_weight_items.npy");
        return Parse(path, () => ItemWeights.Problem(items, offsets, columns, values) is { } problem
            ? throw new InvalidDataException(problem)
            : new ItemWeights(items, offsets, columns, values, binary));
    }

    /// <summary>
    /// Reads an int32 vector. With <paramref name="total"/>: <paramref name="length"/> offsets into a list of
    /// that many elements, from 0, ascending, ending at the total. Without: item indices, each in
    /// [0, <paramref name="length"/>).
    /// </summary>
    private static int[] ReadInts(string folder, string name, int length, int? total, string listName = "rated_items.npy", string rows = "users")
    {
        var path = Path.Combine(folder, name);
        return Parse(path, () =>
        {
            var data = NpyFile.ReadInt32(File.ReadAllBytes(path));
            if (total is not { } count)
            {
                var bad = Array.FindIndex(data, i => (uint)i >= (uint)length);
                return bad < 0 ? data : throw new InvalidDataException($"element {bad} is item {data[bad]}, outside the {length} items of model.json");
            }

            if (data.Length != length)
            {
                throw new InvalidDataException($"holds {data.Length} offsets; the {length - 1} {rows} of model.json need {length}");
            }

            if (data[0] != 0)
            {
                throw new InvalidDataException($"starts at {data[0]}, not 0");
            }

            for (var k = 1; k < data.Length; k++)
            {
                if (data[k] < data[k - 1])
                {
                    throw new InvalidDataException($"is not ascending: element {k} is {data[k]}, below {data[k - 1]}");
                }
            }

            return data[^1] == count ? data : throw new InvalidDataException($"ends at {data[^1]}, but {listName} holds {count} items");
        });
    }

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
    [JsonSerializable(typeof(ModelHeader))]
    private sealed partial class HeaderJson : JsonSerializerContext;

    private sealed class ModelHeader
    {
        public int FormatVersion { get; set; }

        public string? Algorithm { get; set; }

        public int Factors { get; set; }

        public double GlobalMean { get; set; }

        public float[]? RatingScale { get; set; }

        public string[]? Users { get; set; }

        public string[]? Items { get; set; }

        public SortedDictionary<string, string>? Arrays { get; set; }

        public SortedDictionary<string, string>? Titles { get; set; }

        public SortedDictionary<string, string>? Parameters { get; set; }

        public bool? PredictsRatings { get; set; }

        /// <summary>Genre names; absent in artifacts written before genres were carried.</summary>
        public string[]? Genres { get; set; }

        /// <summary>Per item (the order of <see cref="Items"/>), the indices into <see cref="Genres"/> of its genres.</summary>
        public int[][]? ItemGenres { get; set; }
        /// <summary>Whether the item weights take 0/1 history entries (else the ratings); only with the item weight arrays.</summary>
        public bool? ItemWeightsBinary { get; set; }

        [JsonPropertyName("trained_at")]
        public string? TrainedAt { get; set; }
    }
}
