using System.Reflection;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace LatentLens.Tests;

/// <summary>
/// The dependency rules of LatentLens.Api (README, "Layout"), read from the compiled IL, so a fully
/// qualified name counts as much as a <c>using</c>. Each failure names the offending types.
/// </summary>
public sealed class ArchitectureTests
{
    private const string Root = "LatentLens.Api";
    private const string Recommender = Root + ".Recommender";
    private const string Data = Recommender + ".Data";
    private const string Numerics = Recommender + ".Numerics";
    private const string Models = Recommender + ".Models";
    private const string Algorithms = Recommender + ".Algorithms";
    private const string Evaluation = Recommender + ".Evaluation";
    private const string Ranking = Recommender + ".Ranking";
    private const string Training = Root + ".Training";
    private const string Tracking = Root + ".Tracking";
    private const string Artifacts = Tracking + ".Artifacts";
    private const string FileStore = Tracking + ".FileStore";
    private const string Server = Tracking + ".Server";
    private const string Stores = Tracking + ".Stores";
    private const string Serving = Root + ".Serving";
    private const string Apis = Root + ".Apis";
    private const string Cli = Root + ".Cli";
    private const string Benchmarks = Root + ".Benchmarks";

    private static readonly Assembly Api = typeof(LatentLens.Api.ApiEntryPoint).Assembly;

    /// <summary>The types of the root namespace itself (the composition: service registration, the entry point), which nothing may depend on.</summary>
    private static readonly string[] RootTypes = [.. TypesIn(Root).Select(t => t.FullName!)];

    public static TheoryData<string, string[]> Rules => new()
    {
        // The ML core: data, algorithms, evaluation, ranking. Nothing else of ours, nothing of ASP.NET.
        { Recommender, [Training, Tracking, Serving, Apis, Cli, Benchmarks, "Microsoft.AspNetCore", "Microsoft.Extensions.Hosting", .. RootTypes] },
        // The numerics the families share (sparse rows, the by-row index, Gaussian draws, padded rows): nothing else of ours at all.
        { Numerics, [Data, Models, Algorithms, Evaluation, Ranking, Training, Tracking, Serving, Apis, Cli, .. RootTypes] },
        // The served model types: built on the numerics and the data, never on how a model was trained, measured or ranked.
        { Models, [Algorithms, Evaluation, Ranking, Training, Tracking, Serving, Apis, Cli, .. RootTypes] },
        { Tracking, [Training, Serving, Apis, Cli, Benchmarks, "Microsoft.AspNetCore", .. RootTypes] },
        // The model artifact format (MLmodel, .npy, the Python flavour): a format, whichever store holds it.
        { Artifacts, [FileStore, Server, Stores, Training, Serving, Apis, Cli, "Microsoft.AspNetCore", .. RootTypes] },
        { Training, [Serving, Apis, Cli, Benchmarks, "Microsoft.AspNetCore", .. RootTypes] },
        { Serving, [Training, Apis, Cli, Benchmarks, .. RootTypes] },
        // The measuring loops behind `benchmark`: they rank and choose a model as the API does (Recommender, Tracking), never through it.
        { Benchmarks, [Training, Serving, Apis, Cli, "Microsoft.AspNetCore", .. RootTypes] },
        { Cli, [Serving, Apis, "Microsoft.AspNetCore", .. RootTypes] },
        // The API serves; training runs in its own process (the app host's trainer), never behind an endpoint.
        { Apis, [Training, Cli, Benchmarks, .. RootTypes] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void ANamespaceDependsOnlyOnWhatItMay(string layer, string[] forbidden)
    {
        var result = Types.InAssembly(Api).That().ResideInNamespaceStartingWith(layer)
            .Should().NotHaveDependencyOnAny(forbidden).GetResult();

        Assert.True(result.IsSuccessful,
            $"{layer} must not depend on any of [{string.Join(", ", forbidden.Where(f => !RootTypes.Contains(f)))}{(forbidden.Any(RootTypes.Contains) ? ", the root namespace's types" : string.Empty)}]; "
            + $"these types do: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    private const string AppHostRoot = "LatentLens.AppHost";
    private const string AppHostApi = AppHostRoot + ".Api";
    private const string AppHostMlflow = AppHostRoot + ".Mlflow";
    private const string AppHostTrainer = AppHostRoot + ".Trainer";
    private const string AppHostCompose = AppHostRoot + ".Compose";

    private static readonly Assembly AppHost = typeof(LatentLens.AppHost.Mlflow.MlflowUiResource).Assembly;

    /// <summary>
    /// The app host's folders: AppHost.cs draws the diagram from them. A resource's folder stands alone (the
    /// API's may name the MLflow server's endpoint), and the compose step knows no resource of ours, so that
    /// it can give way to the official package.
    /// </summary>
    public static TheoryData<string, string[]> AppHostRules => new()
    {
        { AppHostMlflow, [AppHostApi, AppHostTrainer] },
        { AppHostTrainer, [AppHostApi] },
        { AppHostCompose, [AppHostApi, AppHostMlflow, AppHostTrainer] },
    };

    [Theory]
    [MemberData(nameof(AppHostRules))]
    public void AnAppHostFolderDependsOnlyOnWhatItMay(string folder, string[] forbidden)
    {
        var result = Types.InAssembly(AppHost).That().ResideInNamespaceStartingWith(folder)
            .Should().NotHaveDependencyOnAny(forbidden).GetResult();

        Assert.True(result.IsSuccessful, $"{folder} must not depend on any of [{string.Join(", ", forbidden)}]; these types do: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void EveryAppHostFileDeclaresItsFoldersNamespaceAndIsShortOrSaysWhy()
    {
        var root = Path.Combine(TestPaths.RepositoryRoot, "LatentLens.AppHost");
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar)[0] is not ("obj" or "bin"))
            .ToList();
        Assert.NotEmpty(files);

        var problems = new List<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(root, file);
            var lines = File.ReadAllLines(file);
            var folder = Path.GetDirectoryName(relative)!.Replace(Path.DirectorySeparatorChar, '.');
            var expected = folder.Length == 0 ? AppHostRoot : $"{AppHostRoot}.{folder}";
            if (relative != "AppHost.cs" && !lines.Contains($"namespace {expected};"))
            {
                problems.Add($"{relative} should declare 'namespace {expected};'");
            }

            if (lines.Length > 400 && !lines.Take(10).Any(l => l.Contains("Why this file is long:", StringComparison.Ordinal)))
            {
                problems.Add($"{relative} has {lines.Length} lines and its first lines do not say 'Why this file is long:'");
            }
        }

        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    [Fact]
    public void EveryApiFileIsShortOrSaysWhy()
    {
        var root = Path.Combine(TestPaths.RepositoryRoot, Root);
        var problems = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar)[0] is not ("obj" or "bin"))
            .Select(f => (Relative: Path.GetRelativePath(root, f), Lines: File.ReadAllLines(f)))
            .Where(f => f.Lines.Length > 400 && !f.Lines.Take(10).Any(l => l.Contains("Why this file is long:", StringComparison.Ordinal)))
            .Select(f => $"{f.Relative} has {f.Lines.Length} lines and its first lines do not say 'Why this file is long:'")
            .ToList();

        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    [Fact]
    public void NoTwoNamespacesDependOnEachOtherEvenIndirectly()
    {
        var namespaces = Api.GetTypes().Select(t => t.Namespace).OfType<string>()
            .Where(n => n == Root || n.StartsWith(Root + ".", StringComparison.Ordinal))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        var typeNames = namespaces.ToDictionary(n => n, n => TypesIn(n).Select(t => t.FullName!).ToArray());

        // Edge a -> b with the types of a that use a type of b.
        var edges = new Dictionary<string, Dictionary<string, IReadOnlyList<string>>>();
        foreach (var from in namespaces)
        {
            edges[from] = [];
            foreach (var to in namespaces.Where(n => n != from && typeNames[n].Length > 0))
            {
                var result = Types.InAssembly(Api).That().ResideInNamespaceMatching($"^{Regex.Escape(from)}$")
                    .Should().NotHaveDependencyOnAny(typeNames[to]).GetResult();
                if (!result.IsSuccessful)
                {
                    edges[from][to] = result.FailingTypeNames ?? [];
                }
            }
        }

        var cycle = FindCycle(namespaces, edges);
        Assert.True(cycle is null, cycle is null ? string.Empty :
            "A dependency cycle between namespaces: " + string.Join(" -> ", cycle) + ". "
            + string.Join("; ", cycle.Zip(cycle.Skip(1)).Select(e => $"{e.First} -> {e.Second} through {string.Join(", ", edges[e.First][e.Second])}")));
    }

    [Fact]
    public void TheCycleFinderFindsACycle()
    {
        var edges = new Dictionary<string, Dictionary<string, IReadOnlyList<string>>>
        {
            ["a"] = new() { ["b"] = ["A1"] },
            ["b"] = new() { ["c"] = ["B1"] },
            ["c"] = new() { ["a"] = ["C1"] },
        };

        Assert.Equal(["a", "b", "c", "a"], FindCycle(["a", "b", "c"], edges));
        edges["c"].Clear();
        Assert.Null(FindCycle(["a", "b", "c"], edges));
    }

    private static Type[] TypesIn(string ns) =>
        [.. Api.GetTypes().Where(t => t.Namespace == ns && !t.IsNested && !t.Name.StartsWith('<'))];

    /// <summary>A path n0 -> n1 -> ... -> n0 when the graph has a cycle (depth-first search), else null.</summary>
    private static List<string>? FindCycle(IReadOnlyList<string> nodes, Dictionary<string, Dictionary<string, IReadOnlyList<string>>> edges)
    {
        var state = nodes.ToDictionary(n => n, _ => 0); // 0 unvisited, 1 on the stack, 2 done
        var stack = new List<string>();

        List<string>? Visit(string node)
        {
            state[node] = 1;
            stack.Add(node);
            foreach (var next in edges.TryGetValue(node, out var outgoing) ? outgoing.Keys.ToList() : [])
            {
                if (state[next] == 1)
                {
                    return [.. stack.Skip(stack.IndexOf(next)), next];
                }

                if (state[next] == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[node] = 2;
            return null;
        }

        foreach (var node in nodes)
        {
            if (state[node] == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }
}
