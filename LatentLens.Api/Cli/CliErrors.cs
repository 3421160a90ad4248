using System.CommandLine;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Api.Cli;

/// <summary>
/// How every command ends on an error it expects: one line <c>error: ...</c> on stderr and exit code 1, never
/// a stack trace; a cancelled one says so and exits 130. Anything else is a bug and keeps its stack trace.
/// </summary>
internal static class CliErrors
{
    /// <summary>
    /// The exceptions that mean "a clear error, exit 1": bad arguments or settings, bad data, a store that
    /// refuses (a run that is not there, a tracking server down or erroring), files that cannot be read or written.
    /// A null argument or a disposed object is a bug in LatentLens, not the user's input: it keeps its stack trace.
    /// </summary>
    public static bool IsClear(Exception ex) =>
        ex is (ArgumentException and not ArgumentNullException) or (InvalidOperationException and not ObjectDisposedException)
            or DataFormatException or InvalidDataException or IOException or UnauthorizedAccessException;

    public static int Run(ParseResult parse, Func<int> action)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return action();
        }
        catch (Exception ex) when (IsClear(ex))
        {
            return Report(parse, ex);
        }
    }

    public static int Run(ParseResult parse, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Run(parse, () =>
        {
            action();
            return 0;
        });
    }

    /// <summary><see cref="Run(ParseResult, Func{int})"/> for async commands; a run cancelled through <paramref name="cancellation"/>
    /// (Ctrl+C) exits 130, any other cancellation (a time-out) is an error like the rest.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<Task<int>> action, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return await action();
        }
        catch (Exception ex) when (IsClear(ex))
        {
            return Report(parse, ex);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            parse.InvocationConfiguration.Error.WriteLine("Cancelled.");
            return 130;
        }
        catch (OperationCanceledException ex)
        {
            // Not the user's Ctrl+C: an HTTP time-out (a download) surfaces as a cancellation.
            return Report(parse, new TimeoutException($"timed out: {ex.Message}", ex));
        }
    }

    private static int Report(ParseResult parse, Exception ex)
    {
        parse.InvocationConfiguration.Error.WriteLine($"error: {ex.Message}");
        return 1;
    }
}
