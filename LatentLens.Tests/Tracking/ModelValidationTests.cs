using System.Buffers.Binary;
using System.Text.Json.Nodes;
using System.Text;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;
using LatentLens.Api.Recommender.Models;
using LatentLens.Api.Tracking;
using LatentLens.Api.Tracking.Artifacts;
using Xunit.Abstractions;

namespace LatentLens.Tests.Tracking;

/// <summary>
/// A model that loads is safe to serve: each corrupted file of a real model is refused on load with an
/// <see cref="InvalidDataException"/> naming the file, and a broken <c>.npy</c> never throws anything else.
/// </summary>
public sealed class ModelValidationTests : IDisposable
{
    private readonly string _root = TestPaths.NewTempFolder();
    private readonly string _folder;
    private readonly SavedModel _saved;

    private readonly ITestOutputHelper _output;

    public ModelValidationTests(ITestOutputHelper output)
    {
        _output = output;
        var data = TestData.SyntheticWithTitles(seed: 2);
        var trainset = Trainset.Build(data.Ratings, data.Scale);
        var model = new FunkSvd(new FunkSvdOptions { Factors = 5, Epochs = 3, Seed = 1 }).Fit(trainset);
        _saved = SavedModel.From(model, trainset, data.Titles, new Dictionary<string, string> { ["factors"] = "5" });
        _folder = Path.Combine(_root, "model");
        Directory.CreateDirectory(_folder);
        foreach (var (name, content) in ModelArtifact.Build(_saved, "run", "uuid", DateTime.UtcNow))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_folder, name))!);
            File.WriteAllBytes(Path.Combine(_folder, name), content);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    public static TheoryData<string> Corruptions() =>
    [
        "offsets not ascending", "offsets not from 0", "offsets too few", "offsets past the items", "item index past the catalogue", "negative item index",
        "NaN user factor", "infinite item factor", "NaN user bias", "infinite item bias", "NaN ranking bias", "ranking bias too short",
        "item factors with a column too many", "user bias too short", "hex shape", "shape too big for the file", "missing array",
        "rating scale reversed", "rating scale empty", "global mean overflows", "negative factors", "huge factors", "duplicate user ids", "null item id",
    ];

    [Fact]
    public void TheUncorruptedModelLoads()
    {
        var loaded = ModelArtifact.Load(_folder);

        Assert.Equal(_saved.RatedOffsets, loaded.RatedOffsets);
        Assert.Equal(_saved.Model.Users.Count, loaded.Model.Users.Count);
    }

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void ACorruptedModelIsRefusedNamingTheFile(string corruption)
    {
        var (file, expected) = Corrupt(corruption);

        var error = Assert.Throws<InvalidDataException>(() => ModelArtifact.Load(_folder));

        Assert.Contains(Path.Combine(_folder, file), error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABrokenNpyFileOnlyEverThrowsInvalidDataException()
    {
        float[] floats = [1f, 2f, 3f, 4f, 5f, 6f];
        byte[][] samples = [NpyFile.WriteVector(floats), NpyFile.WriteMatrix(floats, 2, 3, 3), NpyFile.WriteInt32([0, 1, 2, 5])];
        var cases = 0;
        var refused = 0;
        foreach (var sample in samples)
        {
            var dataStart = 10 + BinaryPrimitives.ReadUInt16LittleEndian(sample.AsSpan(8));

            // Every truncation, header and data alike, is refused.
            for (var length = 0; length < sample.Length; length++)
            {
                refused += OnlyInvalidData(sample[..length], mustRefuse: true);
                cases += 2;
            }

            // Every header byte replaced by characters that matter to the parser.
            foreach (var position in Enumerable.Range(0, dataStart))
            {
                foreach (var replacement in "\0 (),'019-xL{}:\n\u0080\u00ff")
                {
                    var flipped = (byte[])sample.Clone();
                    flipped[position] = (byte)replacement;
                    refused += OnlyInvalidData(flipped, mustRefuse: false);
                    cases += 2;
                }
            }
        }

        // Shapes that overflow an int, a long product, or need more data than the file holds.
        string[] shapes =
        [
            "(0x9724,)", "(2147483648,)", "(99999999999999999999999,)", "(-1,)", "(-6,)", "(1e3,)", "(6L,)", "(+6,)", "(6.0,)", "(,)", "(6,,)",
            "( , 6)", "(2147483647,)", "(65536, 65536)", "(46341, 46341)", "(2147483647, 2147483647)", "(2147483647, 2147483647, 2147483647)",
            "(1, 2, 3)", "()", "(0,)", "(0, 2147483647)", "(3, 0)", "(\u0663,)", "(6)",
        ];
        foreach (var shape in shapes)
        {
            foreach (var descr in new[] { "<f4", "<i4" })
            {
                refused += OnlyInvalidData(WithHeader($"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}", 24), mustRefuse: false);
                cases += 2;
            }
        }

        // Header lengths beyond the file, in every version's width.
        foreach (var (version, headerLength) in new (byte, uint)[] { (1, 0xFFFF), (2, 0xFFFFFFFF), (2, 0x7FFFFFFF), (3, 0x80000000), (2, 0xFFFFFFF0) })
        {
            var bytes = new byte[64];
            samples[0].AsSpan(0, 6).CopyTo(bytes);
            bytes[6] = version;
            if (version == 1)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLength);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), headerLength);
            }

            refused += OnlyInvalidData(bytes, mustRefuse: true);
            cases += 2;
        }

        _output.WriteLine($"{cases} reads of {samples.Length} broken samples and {shapes.Length} shapes; {refused} refused with InvalidDataException, the rest read as valid files");
        Assert.True(cases > 3000, $"{cases} cases");
        Assert.True(refused > cases / 2, $"{refused} of {cases} refused");
    }

    /// <summary>Reads <paramref name="bytes"/> as float32 and as int32; returns how many of the two were refused.</summary>
    private static int OnlyInvalidData(byte[] bytes, bool mustRefuse)
    {
        var refused = 0;
        foreach (var read in new Action[] { () => NpyFile.Read(bytes), () => NpyFile.ReadInt32(bytes) })
        {
            try
            {
                read();
                Assert.False(mustRefuse, $"accepted {Convert.ToHexString(bytes)}");
            }
            catch (InvalidDataException)
            {
                refused++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"{ex.GetType().Name} ({ex.Message}) escaped for {Encoding.ASCII.GetString(bytes)}");
            }
        }

        return refused;
    }

    private static byte[] WithHeader(string header, int dataBytes)
    {
        var bytes = new byte[10 + header.Length + 1 + dataBytes];
        NpyFile.WriteVector([]).AsSpan(0, 8).CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)(header.Length + 1));
        Encoding.ASCII.GetBytes(header + "\n", bytes.AsSpan(10));
        return bytes;
    }

    /// <summary>Breaks one file of the model; returns its name and a phrase the refusal must contain.</summary>
    private (string File, string Expected) Corrupt(string corruption)
    {
        var offsets = (int[])_saved.RatedOffsets.Clone();
        var items = (int[])_saved.RatedItems.Clone();
        var model = _saved.Model;
        var users = model.Users.Count;
        var catalogue = model.Items.Count;
        switch (corruption)
        {
            case "offsets not ascending":
                (offsets[1], offsets[2]) = (offsets[2], offsets[1]);
                return Write("rated_offsets.npy", NpyFile.WriteInt32(offsets), "not ascending");
            case "offsets not from 0":
                offsets[0] = 1;
                return Write("rated_offsets.npy", NpyFile.WriteInt32(offsets), "not 0");
            case "offsets too few":
                return Write("rated_offsets.npy", NpyFile.WriteInt32(offsets[..^1]), "offsets");
            case "offsets past the items":
                offsets[^1]++;
                return Write("rated_offsets.npy", NpyFile.WriteInt32(offsets), "rated_items.npy holds");
            case "item index past the catalogue":
                items[3] = catalogue;
                return Write("rated_items.npy", NpyFile.WriteInt32(items), "outside");
            case "negative item index":
                items[0] = -1;
                return Write("rated_items.npy", NpyFile.WriteInt32(items), "outside");
            case "NaN user factor":
                return Write("user_factors.npy", Factors(model.UserFactors, users, model, 7, float.NaN), "NaN");
            case "infinite item factor":
                return Write("item_factors.npy", Factors(model.ItemFactors, catalogue, model, 12, float.PositiveInfinity), "finite");
            case "NaN user bias":
                return Write("user_bias.npy", NpyFile.WriteVector(With(model.UserBias, 0, float.NaN)), "NaN");
            case "infinite item bias":
                return Write("item_bias.npy", NpyFile.WriteVector(With(model.ItemBias, catalogue - 1, float.NegativeInfinity)), "finite");
            case "NaN ranking bias":
                AddRankingBias();
                return Write("ranking_bias.npy", NpyFile.WriteVector(With(new float[catalogue], 2, float.NaN)), "NaN");
            case "ranking bias too short":
                AddRankingBias();
                return Write("ranking_bias.npy", NpyFile.WriteVector(new float[catalogue - 1]), "shape");
            case "item factors with a column too many":
                return Write("item_factors.npy", NpyFile.WriteMatrix(new float[catalogue * (model.Factors + 1)], catalogue, model.Factors + 1, model.Factors + 1), "shape");
            case "user bias too short":
                return Write("user_bias.npy", NpyFile.WriteVector(model.UserBias.AsSpan(1)), "shape");
            case "hex shape":
                return Write("item_bias.npy", Reheader("item_bias.npy", "<f4", "(0x9724,)"), "0x9724");
            case "shape too big for the file":
                return Write("user_factors.npy", Reheader("user_factors.npy", "<f4", "(2147483647, 2147483647)"), "truncated");
            case "missing array":
                File.Delete(Path.Combine(_folder, "item_bias.npy"));
                return ("item_bias.npy", "item_bias.npy");
            case "rating scale reversed":
                return EditJson(json => json["rating_scale"] = new JsonArray(5, 1), "rating_scale");
            case "rating scale empty":
                return EditJson(json => json["rating_scale"] = new JsonArray(3, 3), "min < max");
            case "global mean overflows":
                var original = File.ReadAllText(Path.Combine(_folder, "model.json"));
                var start = original.IndexOf("\"global_mean\":", StringComparison.Ordinal) + "\"global_mean\":".Length;
                var end = original.IndexOf(',', start);
                return Write("model.json", Encoding.UTF8.GetBytes(original[..start] + "1e400" + original[end..]), "model.json");
            case "negative factors":
                return EditJson(json => json["factors"] = -1, "factors");
            case "huge factors":
                return EditJson(json => json["factors"] = int.MaxValue, "factors");
            case "duplicate user ids":
                return EditJson(json => json["users"]![1] = json["users"]![0]!.GetValue<string>(), "Duplicate");
            case "null item id":
                return EditJson(json => json["items"]![0] = null, "strings");
            default:
                throw new ArgumentOutOfRangeException(nameof(corruption), corruption, "no such corruption");
        }
    }

    /// <summary>The data of a model file behind a header with another shape.</summary>
    private byte[] Reheader(string file, string descr, string shape)
    {
        var bytes = File.ReadAllBytes(Path.Combine(_folder, file));
        var data = bytes.AsSpan(10 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)));
        var header = WithHeader($"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}", data.Length);
        data.CopyTo(header.AsSpan(header.Length - data.Length));
        return header;
    }

    private static float[] With(ReadOnlySpan<float> values, int index, float value)
    {
        var copy = values.ToArray();
        copy[index] = value;
        return copy;
    }

    private static byte[] Factors(float[] padded, int rows, FactorModel model, int index, float value)
    {
        var copy = (float[])padded.Clone();
        copy[((index / model.Factors) * model.Stride) + (index % model.Factors)] = value;
        return NpyFile.WriteMatrix(copy, rows, model.Factors, model.Stride);
    }

    private void AddRankingBias() => EditJson(json => json["arrays"]!["ranking_bias"] = "ranking_bias.npy", string.Empty);

    private (string, string) EditJson(Action<JsonNode> edit, string expected)
    {
        var path = Path.Combine(_folder, "model.json");
        var json = JsonNode.Parse(File.ReadAllBytes(path))!;
        edit(json);
        return Write("model.json", Encoding.UTF8.GetBytes(json.ToJsonString()), expected);
    }

    private (string, string) Write(string file, byte[] content, string expected)
    {
        File.WriteAllBytes(Path.Combine(_folder, file), content);
        return (file, expected);
    }
}
