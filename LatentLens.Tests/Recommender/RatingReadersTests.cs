using System.Globalization;
using LatentLens.Api.Recommender.Data;

namespace LatentLens.Tests.Recommender;

public sealed class RatingReadersTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content, System.Text.Encoding? encoding = null)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content, encoding ?? new System.Text.UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void TabSeparatedFileReadsUserItemRatingTimestamp()
    {
        var path = Write("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");

        var ratings = RatingReaders.ReadTabSeparated(path, RatingReaders.MovieLens100kScale);

        Assert.Equal([new RawRating("196", "242", 3f, 881250949), new RawRating("186", "302", 3f, 891717742)], ratings);
    }

    [Fact]
    public void CsvWithHeaderReadsAnyColumnNames()
    {
        var path = Write("r.csv", "u,i,r\nalice,matrix,4.5\nbob,matrix,2\n");

        var ratings = RatingReaders.ReadCsv(path, scale: null);

        Assert.Equal([new RawRating("alice", "matrix", 4.5f, 0), new RawRating("bob", "matrix", 2f, 0)], ratings);
    }

    [Fact]
    public void MoviesCsvTitlesWithCommasAndQuotesAreRead()
    {
        Write("ratings.csv", "userId,movieId,rating,timestamp\n1,11,4.0,964982703\n");
        Write("movies.csv", "movieId,title,genres\n11,\"American President, The (1995)\",Comedy|Drama|Romance\n12,\"Dracula: Dead and Loving It (1995)\",Comedy\n13,\"\"\"Great Performances\"\" Cats (1998)\",Musical\n");

        var data = RatingReaders.ReadMovieLensLatest(_dir, "tiny");

        Assert.Equal("American President, The (1995)", data.Titles["11"]);
        Assert.Equal("\"Great Performances\" Cats (1998)", data.Titles["13"]);
        Assert.Equal(RatingReaders.MovieLensLatestScale, data.Scale);
    }

    [Fact]
    public void MovieLens100kTitlesAreReadAsLatin1()
    {
        Write("u.data", "1\t1\t5\t874965758\n");
        Write("u.item", "1|Misérables, Les (1995)|01-Jan-1995||http://x|0|0\n", System.Text.Encoding.Latin1);

        var data = RatingReaders.ReadMovieLens100k(_dir);

        Assert.Equal("Misérables, Les (1995)", data.Titles["1"]);
    }

    [Theory]
    [InlineData("u,i,r\n1,2,abc\n", "r.csv:2: the rating 'abc' is not a number")]
    [InlineData("u,i,r\n1,2,3\n1,2\n", "r.csv:3: expected 3 fields as in the header, found 2")]
    [InlineData("", "r.csv: the file is empty")]
    [InlineData("u,i,r\n1,2,3\n4,5,9\n", "r.csv:3: the rating 9 is outside the rating scale 1–5")]
    [InlineData("u,i,r\n1,2,3\nu,i,r\n", "r.csv:3: the header appears again")]
    [InlineData("1,2,3\n", "r.csv:1: expected a header user,item,rating[,timestamp], found the data line '1,2,3'")]
    [InlineData("u,i,r\n", "r.csv: the file holds a header but no ratings")]
    [InlineData("u,i,r,t\n1,2,3,yesterday\n", "r.csv:2: the timestamp 'yesterday' is not an integer")]
    public void BadCsvGetsAMessageNamingFileAndLine(string content, string expected)
    {
        var path = Write("r.csv", content);

        var error = Assert.Throws<DataFormatException>(() => RatingReaders.ReadCsv(path, new RatingScale(1, 5)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1\t2\t3\n", "u.data:1: expected 4 tab-separated fields")]
    [InlineData("1\t2\tx\t5\n", "u.data:1: the rating 'x' is not a number")]
    [InlineData("1\t2\t3\t5\n1\t2\t0\t5\n", "u.data:2: the rating 0 is outside the rating scale 1–5")]
    [InlineData("", "u.data: the file holds no ratings")]
    [InlineData("1\t2\tNaN\t5\n", "u.data:1: the rating 'NaN' is not a number")]
    public void BadTabSeparatedFileGetsAMessageNamingFileAndLine(string content, string expected)
    {
        var path = Write("u.data", content);

        var error = Assert.Throws<DataFormatException>(() => RatingReaders.ReadTabSeparated(path, RatingReaders.MovieLens100kScale));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsReportedNotThrownAsIoError()
    {
        var error = Assert.Throws<DataFormatException>(() => DatasetCatalog.ReadPath(Path.Combine(_dir, "nope.csv")));

        Assert.Contains("no such file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BundledMovieLensLatestSmallReadsCompletely()
    {
        var data = RatingReaders.ReadMovieLensLatest(TestPaths.BundledLatestSmall, DatasetCatalog.MovieLensLatestSmall);

        Assert.Equal(100_836, data.Ratings.Count);
        Assert.Equal(610, data.Ratings.Select(r => r.User).Distinct().Count());
        Assert.Equal(9_742, data.Titles.Count);
        Assert.Equal("Toy Story (1995)", data.Titles["1"]);
    }

    [Fact]
    public void IdMapMapsRawIdsToDenseIndicesAndBack()
    {
        var map = new IdMap();
        Assert.Equal(0, map.GetOrAdd("b"));
        Assert.Equal(1, map.GetOrAdd("a"));
        Assert.Equal(0, map.GetOrAdd("b"));

        Assert.True(map.TryGetIndex("a", out var a));
        Assert.Equal(1, a);
        Assert.Equal("b", map.ToRaw(0));
        Assert.False(map.TryGetIndex("c", out _));
    }

    [Fact]
    public void IdMapSpanLookupOfWholeNumberIdsAgreesWithTheDictionary()
    {
        // Ids that collide in a small table, the largest int, and a map that changes after its first lookup.
        var ids = Enumerable.Range(0, 3_000).Select(i => ((i * 7_919L) % 2_147_483_647).ToString(CultureInfo.InvariantCulture)).Append("2147483647").Distinct().ToList();
        var map = new IdMap(ids);
        foreach (var id in ids)
        {
            Assert.True(map.TryGetIndex(id.AsSpan(), out var index));
            Assert.Equal(id, map.ToRaw(index));
        }

        foreach (var absent in new[] { "2147483648", "99999999999", "007", "0x1", "-5", " 1", "", "1.0", "5", "3000000" })
        {
            Assert.Equal(map.TryGetIndex(absent, out _), map.TryGetIndex(absent.AsSpan(), out _));
        }

        Assert.False(map.TryGetIndex("007".AsSpan(), out _));
        var added = map.GetOrAdd("123456789");
        Assert.True(map.TryGetIndex("123456789".AsSpan(), out var found));
        Assert.Equal(added, found);
    }

    [Fact]
    public void IdMapSpanLookupOfOtherIdsUsesTheirSpelling()
    {
        var map = new IdMap(["007", "7", "tt0114709"]);
        Assert.True(map.TryGetIndex("007".AsSpan(), out var padded));
        Assert.True(map.TryGetIndex("7".AsSpan(), out var plain));
        Assert.True(map.TryGetIndex("tt0114709".AsSpan(), out var imdb));
        Assert.Equal([0, 1, 2], new[] { padded, plain, imdb });
        Assert.False(map.TryGetIndex("07".AsSpan(), out _));
    }

    [Fact]
    public void TrainsetGroupsRatingsByUserInOrderOfFirstAppearance()
    {
        var trainset = Trainset.Build(
            [new("u2", "i1", 1, 0), new("u1", "i2", 2, 0), new("u2", "i3", 3, 0), new("u1", "i1", 4, 0)],
            new RatingScale(1, 5));

        Assert.Equal(["u2", "u1"], trainset.Users.RawIds);
        Assert.Equal([0, 0, 1, 1], trainset.UserIndex);
        Assert.Equal([1f, 3f, 2f, 4f], trainset.Values);
        Assert.Equal(2.5, trainset.GlobalMean);
    }
}
