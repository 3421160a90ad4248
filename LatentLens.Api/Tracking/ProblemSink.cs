namespace LatentLens.Api.Tracking;

/// <summary>
/// Collects what one read of a store found wrong. A reader reports here instead of throwing, and
/// leaves the item out; whoever started the read decides what to do with the list (log it once,
/// print it, assert on it). Make one per read: it is not meant to live across reads.
/// </summary>
internal sealed class ProblemSink
{
    private readonly List<StoreProblem> _problems = [];

    public IReadOnlyList<StoreProblem> Problems => _problems;

    /// <summary>Something MLflow skips with a warning.</summary>
    public T? Hide<T>(string path, string message)
        where T : class
    {
        _problems.Add(new StoreProblem(path, message, BreaksMlflow: false));
        return null;
    }

    /// <summary>Something MLflow's reader throws on.</summary>
    public T? Break<T>(string path, string message)
        where T : class
    {
        Report(path, message);
        return null;
    }

    /// <summary>Something MLflow reads without a warning but differently from what was meant (<paramref name="mlflowReads"/> says how).</summary>
    public void Misread(string path, string message, string mlflowReads) => _problems.Add(new StoreProblem(path, message, BreaksMlflow: false, mlflowReads));

    /// <summary>As <see cref="Break{T}"/>, where the caller goes on to the next item itself.</summary>
    public void Report(string path, string message) => _problems.Add(new StoreProblem(path, message, BreaksMlflow: true));
}
