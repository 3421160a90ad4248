namespace LatentLens.Api.Recommender.Data;

/// <summary>Bad rating data: says which file, which line (1-based, 0 for the file as a whole) and what is wrong.</summary>
internal sealed class DataFormatException : Exception
{
    public DataFormatException(string path, long line, string problem)
        : base(line > 0 ? $"{path}:{line}: {problem}" : $"{path}: {problem}")
    {
        Path = path;
        Line = line;
        Problem = problem;
    }

    public DataFormatException()
    {
        Path = string.Empty;
        Problem = string.Empty;
    }

    public DataFormatException(string message)
        : base(message)
    {
        Path = string.Empty;
        Problem = message;
    }

    public DataFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
        Problem = message;
    }

    public string Path { get; }

    public long Line { get; }

    public string Problem { get; }
}
