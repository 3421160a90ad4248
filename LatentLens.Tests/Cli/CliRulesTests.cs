using LatentLens.Api;
using LatentLens.Api.Cli;
using LatentLens.Api.Tracking.Stores;

namespace LatentLens.Tests.Cli;

/// <summary>The rules every command shares: which store a command uses, what counts as a clear error, checks before I/O.</summary>
public sealed class CliRulesTests
{
    [Fact]
    public void TheStoreNamedExplicitlyWinsThenTheEnvironmentThenTheFolder()
    {
        string? Env(string name) => name == LatentLensConventions.TrackingUriVariable ? "http://from-env:5000" : null;
        string? NoEnv(string name) => null;

        Assert.Equal("http://explicit:5000", TrackingStoreFactory.ChooseUri("http://explicit:5000", Env, "mlruns"));
        Assert.Equal("http://from-env:5000", TrackingStoreFactory.ChooseUri(null, Env, "mlruns"));
        Assert.Equal("mlruns", TrackingStoreFactory.ChooseUri(null, NoEnv, "mlruns"));
        Assert.Null(TrackingStoreFactory.ChooseUri(null, NoEnv, folder: null));
    }

    [Fact]
    public async Task AnEmptyMlrunsGivenOnTheCommandLineIsRefusedNotReplacedByTheEnvironment()
    {
        var (exit, _, error) = await CliRun.RunAsync("promote", "--mlruns", "");

        Assert.Equal(1, exit);
        Assert.Equal("error: --mlruns is empty.", error.Trim());
    }

    [Fact]
    public async Task MigrateWithAnEmptyTrackingUriSaysToGiveAServer()
    {
        var (exit, _, error) = await CliRun.RunAsync("migrate", "--tracking-uri", "");

        Assert.Equal(1, exit);
        Assert.StartsWith("error: migrate copies into a tracking server: give --tracking-uri", error.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromoteRefusesAnUnknownMetricBeforeAskingTheStore()
    {
        // A port nobody listens on: asking it anything would take the client's retries and say "unreachable".
        var (exit, _, error) = await CliRun.RunWithinAsync(TimeSpan.FromSeconds(30), "promote", "--best-by", "accuracy", "--tracking-uri", $"http://127.0.0.1:{TestPorts.Free()}");

        Assert.Equal(1, exit);
        Assert.Contains("'accuracy' is not a metric LatentLens records", error, StringComparison.Ordinal);
        Assert.DoesNotContain("unreachable", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ANullArgumentOrADisposedObjectIsABugNotAClearError()
    {
        Assert.True(CliErrors.IsClear(new ArgumentException("bad --k")));
        Assert.True(CliErrors.IsClear(new ArgumentOutOfRangeException("k", "k must be positive")));
        Assert.True(CliErrors.IsClear(new InvalidOperationException("no servable model")));
        Assert.False(CliErrors.IsClear(new ArgumentNullException("store")));
        Assert.False(CliErrors.IsClear(new ObjectDisposedException("client")));
    }
}
