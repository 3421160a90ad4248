using System.Diagnostics;

namespace LatentLens.Tests;

/// <summary>
/// The one way tests wait for something that happens on its own (a poll, a swap, a log line): a condition checked
/// every few milliseconds, within a bound, failing with what was awaited and the last value seen. Never a fixed sleep.
/// </summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultBound = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="probe"/> answers a value <paramref name="accept"/> takes, and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<CancellationToken, Task<T>> probe, Func<T, bool> accept, string what, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(accept);
        var bound = within ?? DefaultBound;
        using var cts = new CancellationTokenSource(bound);
        var clock = Stopwatch.StartNew();
        T last = default!;
        var seen = false;
        try
        {
            while (true)
            {
                last = await probe(cts.Token);
                seen = true;
                if (accept(last))
                {
                    return last;
                }

                await Task.Delay(Every, cts.Token);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Fails below, saying what was awaited.
        }

        Assert.Fail($"Not within {bound.TotalSeconds:0.#} s ({clock.Elapsed.TotalSeconds:0.#} s waited): {what}; last seen: {(seen ? last?.ToString() ?? "null" : "nothing (the probe never answered)")}");
        return last;
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task TrueAsync(Func<CancellationToken, Task<bool>> condition, string what, TimeSpan? within = null) =>
        ValueAsync(condition, ok => ok, what, within);

    /// <summary>Waits until <paramref name="condition"/> holds (a condition that needs no I/O).</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null) =>
        ValueAsync(_ => Task.FromResult(condition()), ok => ok, what, within);
}
