namespace LatentLens.Api.Training;

/// <summary>The commit the working directory is checked out at, read from <c>.git</c> without running git.</summary>
internal static class GitInfo
{
    public static string? CurrentCommit(string startDirectory)
    {
        for (var dir = new DirectoryInfo(startDirectory); dir is not null; dir = dir.Parent)
        {
            var git = Path.Combine(dir.FullName, ".git");
            if (!Directory.Exists(git))
            {
                continue;
            }

            try
            {
                var head = File.ReadAllText(Path.Combine(git, "HEAD")).Trim();
                if (!head.StartsWith("ref: ", StringComparison.Ordinal))
                {
                    return IsSha(head) ? head : null;
                }

                var reference = head[5..];
                var loose = Path.Combine(git, reference.Replace('/', Path.DirectorySeparatorChar));
                if (File.Exists(loose))
                {
                    var sha = File.ReadAllText(loose).Trim();
                    return IsSha(sha) ? sha : null;
                }

                var packed = Path.Combine(git, "packed-refs");
                return File.Exists(packed)
                    ? File.ReadLines(packed).Select(l => l.Split(' ')).FirstOrDefault(p => p.Length == 2 && p[1] == reference && IsSha(p[0]))?[0]
                    : null;
            }
            catch (IOException)
            {
                return null;
            }
        }

        return null;
    }

    private static bool IsSha(string s) => s.Length == 40 && s.All(Uri.IsHexDigit);
}
