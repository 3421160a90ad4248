using System.Diagnostics;
using System.Text;
using LatentLens.Api.Recommender.Algorithms;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Tests.Cli;

/// <summary>
/// Data and options that once took the trainer down: a binary file, a device, a FIFO, an endless
/// line, absurd factor counts. Each must end in one line <c>error: ...</c> and exit code 1, quickly
/// and with memory bounded by the row, not by the file.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A FIFO once made the trainer wait for a writer forever: every run bounded, tighter than the default.
    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CliRun.RunWithinAsync(TimeSpan.FromSeconds(60), args);

    private static void AssertOneErrorLine(int exit, string error, params string[] expected)
    {
        Assert.Equal(1, exit);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        var line = lines.Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
        foreach (var e in expected)
        {
            Assert.Contains(e, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ALineOfNulBytesIsRefusedAtItsLineWithoutReadingTheWholeFile()
    {
        // What `truncate -s 1G x.csv` makes, a few MB of it: a header, then zeros without a newline.
        var path = Path.Combine(_dir, "zeros.csv");
        using (var file = File.Create(path))
        {
            file.Write("user,item,rating\nu1,i1,4\n"u8);
            file.SetLength(4 << 20);
        }

        var (exit, _, error) = await RunAsync("train", "--data", path, "--no-track");

        AssertOneErrorLine(exit, error, $"{path}:3:", "NUL");
    }

    [Fact]
    public void AnEndlessLineIsRefusedAtItsLineWithMemoryBoundedByTheLineLimit()
    {
        var path = Path.Combine(_dir, "long.csv");
        using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)))
        {
            writer.Write("user,item,rating\nu1,i1,4\nu2,");
            writer.Write(new string('x', 4 << 20));
            writer.Write(",3\n");
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<DataFormatException>(() => RatingReaders.ReadCsv(path, scale: null));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(3, ex.Line);
        Assert.Contains("longer than", ex.Problem, StringComparison.Ordinal);
        // A 4 MB line read whole would allocate 8 MB of string at least; the reader stops at 64 KB.
        Assert.True(allocated < 1 << 20, $"reading allocated {allocated:N0} bytes");
    }

    [Fact]
    public void AFewMegabytesOfRatingsAreReadWithAllocationsProportionalToTheRows()
    {
        var path = Path.Combine(_dir, "many.csv");
        var text = new StringBuilder("user,item,rating,timestamp\n");
        for (var n = 0; n < 100_000; n++)
        {
            text.Append("u").Append(n % 997).Append(",i").Append(n % 1009).Append(",4,978300760\n");
        }

        File.WriteAllText(path, text.ToString());
        var size = new FileInfo(path).Length;

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ratings = RatingReaders.ReadCsv(path, scale: null);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(100_000, ratings.Count);
        Assert.True(size > 2_000_000, $"{size} bytes");
        // The ids, the rating list and a per-line string; nothing that holds the file at once twice over.
        Assert.True(allocated < 40 * size, $"reading {size:N0} bytes allocated {allocated:N0}");
    }

    [Fact]
    public async Task ACharacterDeviceIsRefusedAsNotARegularFile()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var stopwatch = Stopwatch.StartNew();
        var (exit, _, error) = await RunAsync("train", "--data", "/dev/zero", "--no-track");

        AssertOneErrorLine(exit, error, "/dev/zero", "not a regular file");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AFifoIsRefusedWithoutWaitingForAWriter()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fifo = Path.Combine(_dir, "ratings.csv");
        Assert.Equal(0, (await ProcessRunner.RunAsync("mkfifo", [fifo], timeout: TimeSpan.FromSeconds(30))).ExitCode);

        var (exit, _, error) = await RunAsync("train", "--data", fifo, "--no-track");

        AssertOneErrorLine(exit, error, fifo, "FIFO");
    }

    [Fact]
    public async Task AFolderGivenAsATrainingFileIsRefusedAsAFolder()
    {
        var test = Path.Combine(_dir, "u1.test");
        File.WriteAllText(test, "1\t1\t5\t0\n");

        var (exit, _, error) = await RunAsync("train", "--train", _dir, "--test", test, "--no-track");

        AssertOneErrorLine(exit, error, _dir, "folder");
    }

    [Fact]
    public async Task AnAbsurdFactorCountIsRefusedWhenParsed()
    {
        var stopwatch = Stopwatch.StartNew();
        var (exit, _, error) = await RunAsync("train", "--factors", "2000000000", "--no-track");

        Assert.Equal(1, exit);
        Assert.Contains("--factors", error, StringComparison.Ordinal);
        Assert.Contains("10000", error, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void AConfigurationNeedingMoreMemoryThanAllowedNamesTheOptionAndTheSize()
    {
        var settings = new AlgorithmSettings(AlgorithmFactory.FunkSvd, Factors: 10_000);

        var ex = Assert.Throws<ArgumentException>(() => ModelSizeGuard.Check(settings, users: 610, items: 9_724, limitBytes: 100L << 20));

        Assert.Contains("--factors 10000 needs", ex.Message, StringComparison.Ordinal);
        Assert.Contains("610 users and 9,724 items", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at most", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SvdPlusPlusNeedsMoreMemoryThanFunkSvdForTheSameFactors()
    {
        var funk = ModelSizeGuard.EstimateBytes(new AlgorithmSettings(AlgorithmFactory.FunkSvd, Factors: 100), 610, 9_724);
        var svdpp = ModelSizeGuard.EstimateBytes(new AlgorithmSettings(AlgorithmFactory.SvdPlusPlus, Factors: 100), 610, 9_724);

        Assert.True(funk >= (610L + 9_724) * 100 * sizeof(float));
        Assert.True(svdpp > funk);
        ModelSizeGuard.Check(new AlgorithmSettings(AlgorithmFactory.FunkSvd, Factors: 100), 610, 9_724, limitBytes: 1L << 30);
    }
}
