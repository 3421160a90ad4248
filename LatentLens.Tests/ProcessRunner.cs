using System.Diagnostics;

namespace LatentLens.Tests;

/// <summary>What a finished process wrote and how it ended.</summary>
internal readonly record struct ProcessResult(int ExitCode, string Output, string Error);

/// <summary>
/// The one way the tests run a program to its end: arguments passed as a list (no shell quoting), both
/// streams captured, every run bounded; a run past its bound is killed with its children and fails as a
/// <see cref="TimeoutException"/> naming the command, so a hang never outlives its test.
/// </summary>
internal static class ProcessRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Runs <paramref name="file"/> <paramref name="arguments"/> and waits for it.</summary>
    /// <param name="environment">Variables to set; a null value removes the variable from the inherited environment.</param>
    /// <param name="workingDirectory">Null: the test's current directory.</param>
    /// <param name="timeout">Null: <see cref="DefaultTimeout"/>.</param>
    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var bound = timeout ?? DefaultTimeout;
        using var process = Start(file, arguments, environment, workingDirectory);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw TimedOut(process, bound);
        }

        return new ProcessResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    /// <summary>The same, blocking: for a skip reason, a fixture's disposal and other places that cannot await.</summary>
    public static ProcessResult Run(string file, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var bound = timeout ?? DefaultTimeout;
        using var process = Start(file, arguments, environment, workingDirectory);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(bound))
        {
            throw TimedOut(process, bound);
        }

        return new ProcessResult(process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    private static Process Start(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment, string? workingDirectory)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
    }

    private static TimeoutException TimedOut(Process process, TimeSpan bound)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
        return new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not finish within {bound}.");
    }
}
