using System.Runtime;
using LatentLens.Api.Recommender.Evaluation;

namespace LatentLens.Tests.Recommender;

/// <summary><see cref="LowLatencyGc"/>: the mode holds while any scope is open and the one before comes back after the last.</summary>
[Collection(nameof(RecycledArraysTests))] // process-wide state, like the recycler: run with nothing beside it
public sealed class LowLatencyGcTests
{
    [Fact]
    public void NestedScopesKeepLowLatencyUntilTheLastClosesThenRestoreTheModeBefore()
    {
        var before = GCSettings.LatencyMode;
        var outer = LowLatencyGc.Enter();
        var inner = LowLatencyGc.Enter();
        var expected = GCSettings.IsServerGC ? before : GCLatencyMode.LowLatency;
        Assert.Equal(expected, GCSettings.LatencyMode);
        outer.Dispose(); // scopes may close out of order (overlapping fits on two threads)
        Assert.Equal(expected, GCSettings.LatencyMode);
        inner.Dispose();
        Assert.Equal(before, GCSettings.LatencyMode);
    }

    [Fact]
    public void ADefaultScopeChangesNothing()
    {
        var before = GCSettings.LatencyMode;
        default(LowLatencyGc.Scope).Dispose();
        Assert.Equal(before, GCSettings.LatencyMode);
    }
}
