using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Tracking;

/// <summary>
/// The <c>model/</c> artifact of a run, format version 1: an <c>MLmodel</c> file with a
/// <c>latentlens</c> flavor, the arrays as NumPy <c>.npy</c> files (float32 factors and biases,
/// int32 rated-item lists) and <c>model.json</c> with the id maps, global mean, rating scale,
/// titles and parameters. Python: <c>np.load("item_factors.npy")</c>, <c>json.load(open("model.json"))</c>.
/// </summary>
internal static class ModelArtifact
{
    public const int FormatVersion = 1;
    public const string FlavorName = "latentlens";
    public const string ArtifactPath = "model";
    public const string MlflowVersion = "2.12.1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

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

        var time = MlflowNames.FormatModelTime(createdUtc);
        (string, byte[])[] rankingBias = m.RankingBias is { } bias ? [("ranking_bias.npy", NpyFile.WriteVector(bias))] : [];
        return
        [
            .. rankingBias,
            ("user_factors.npy", NpyFile.WriteMatrix(m.UserFactors, m.Users.Count, m.Factors, m.Stride)),
            ("item_factors.npy", NpyFile.WriteMatrix(m.ItemFactors, m.Items.Count, m.Factors, m.Stride)),
            ("user_bias.npy", NpyFile.WriteVector(m.UserBias)),
            ("item_bias.npy", NpyFile.WriteVector(m.ItemBias)),
            ("rated_offsets.npy", NpyFile.WriteInt32(saved.RatedOffsets)),
            ("rated_items.npy", NpyFile.WriteInt32(saved.RatedItems)),
            ("model.json", JsonSerializer.SerializeToUtf8Bytes(header, Json)),
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
    };

    /// <summary>Loads a <c>model/</c> folder; throws <see cref="InvalidDataException"/> naming the file that is missing or broken.</summary>
    public static SavedModel Load(string folder)
    {
        var mlmodel = Path.Combine(folder, "MLmodel");
        if (!File.Exists(mlmodel))
        {
            throw new InvalidDataException($"{mlmodel}: missing; {folder} is not a model");
        }

        try
        {
            var flavors = MlflowYaml.ReadMapping(File.ReadAllText(mlmodel)).Children[new YamlDotNet.RepresentationModel.YamlScalarNode("flavors")];
            if (flavors is not YamlDotNet.RepresentationModel.YamlMappingNode map || !map.Children.ContainsKey(new YamlDotNet.RepresentationModel.YamlScalarNode(FlavorName)))
            {
                throw new InvalidDataException($"{mlmodel}: no '{FlavorName}' flavor");
            }
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{mlmodel}: unreadable ({ex.Message})", ex);
        }

        var jsonPath = Path.Combine(folder, "model.json");
        ModelHeader header;
        try
        {
            header = JsonSerializer.Deserialize<ModelHeader>(File.ReadAllBytes(jsonPath), Json)
                ?? throw new InvalidDataException($"{jsonPath}: empty");
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            throw new InvalidDataException($"{jsonPath}: unreadable ({ex.Message})", ex);
        }

        if (header.FormatVersion != FormatVersion)
        {
            throw new InvalidDataException($"{jsonPath}: format version {header.FormatVersion}; this LatentLens reads version {FormatVersion}");
        }

        if (header.RatingScale is not { Length: 2 } || header.Users is null || header.Items is null || header.Factors < 0)
        {
            throw new InvalidDataException($"{jsonPath}: incomplete (rating_scale, users, items and factors are required)");
        }

        var users = new IdMap(header.Users);
        var items = new IdMap(header.Items);
        var stride = FactorLayout.StrideFor(header.Factors);
        var userFactors = ReadMatrix(folder, "user_factors.npy", users.Count, header.Factors, stride);
        var itemFactors = ReadMatrix(folder, "item_factors.npy", items.Count, header.Factors, stride);
        var userBias = ReadMatrix(folder, "user_bias.npy", users.Count, -1, 0);
        var itemBias = ReadMatrix(folder, "item_bias.npy", items.Count, -1, 0);
        var offsets = ReadInts(folder, "rated_offsets.npy");
        var rated = ReadInts(folder, "rated_items.npy");
        if (offsets.Length != users.Count + 1 || offsets[^1] != rated.Length || rated.Any(i => (uint)i >= (uint)items.Count))
        {
            throw new InvalidDataException($"{folder}: rated_offsets.npy and rated_items.npy do not match the users and items of model.json");
        }

        // Optional since the first format: a model that ranks by a term of its own, or does not predict ratings.
        var rankingBias = header.Arrays?.ContainsKey("ranking_bias") == true ? ReadMatrix(folder, "ranking_bias.npy", items.Count, -1, 0) : null;
        var model = new FactorModel(header.Algorithm ?? "unknown", users, items, new RatingScale(header.RatingScale[0], header.RatingScale[1]),
            header.GlobalMean, userBias, itemBias, header.Factors, stride, userFactors, itemFactors)
        {
            PredictsRatings = header.PredictsRatings ?? true,
            RankingBias = rankingBias,
        };
        return new SavedModel(model, header.Titles ?? [], offsets, rated, header.Parameters ?? [], header.TrainedAt ?? string.Empty);
    }

    /// <summary>Reads a rows × columns matrix into padded rows of <paramref name="stride"/> floats (columns = -1: a vector).</summary>
    private static float[] ReadMatrix(string folder, string name, int rows, int columns, int stride)
    {
        var path = Path.Combine(folder, name);
        try
        {
            var (data, shape) = NpyFile.Read(File.ReadAllBytes(path));
            int[] expected = columns < 0 ? [rows] : [rows, columns];
            if (!shape.SequenceEqual(expected))
            {
                throw new InvalidDataException($"shape ({string.Join(", ", shape)}) is not ({string.Join(", ", expected)})");
            }

            if (columns < 0 || columns == stride)
            {
                return data;
            }

            var padded = new float[rows * stride];
            for (var r = 0; r < rows; r++)
            {
                data.AsSpan(r * columns, columns).CopyTo(padded.AsSpan(r * stride));
            }

            return padded;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    private static int[] ReadInts(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        try
        {
            return NpyFile.ReadInt32(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

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

        [JsonPropertyName("trained_at")]
        public string? TrainedAt { get; set; }
    }
}
