using LatentLens.Api.Recommender.Ranking;

namespace LatentLens.Tests.Recommender.Ranking;

/// <summary>
/// <see cref="Scoring.SelectTop"/> skips blocks of scores that cannot enter the top k with one vector comparison; it must
/// give what a plain sort does (finite scores only, best first, ties by lower index), at lengths that are and are not
/// multiples of the block, with ties, NaN and infinities, under every vector width a CI variant runs.
/// </summary>
public sealed class SelectTopTests
{
    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 1)]
    [InlineData(7, 10)]
    [InlineData(8, 3)]
    [InlineData(9, 8)]
    [InlineData(100, 10)]
    [InlineData(1003, 1)]
    [InlineData(1003, 10)]
    [InlineData(9724, 10)]
    [InlineData(9724, 300)]
    [InlineData(517, 517)]
    public void GivesThePlainSortsTopK(int length, int k)
    {
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var random = new Random((length * 7) + k + seed);
            var scores = new float[length];
            for (var i = 0; i < length; i++)
            {
                // Few distinct values (ties), a rising trend (the threshold keeps moving) and some non-finite scores.
                scores[i] = random.Next(20) switch
                {
                    0 => float.NaN,
                    1 => float.NegativeInfinity,
                    2 => float.PositiveInfinity,
                    _ => (random.Next(50) / 8f) + (seed == 3 ? i * 0.001f : 0),
                };
            }

            var expected = Enumerable.Range(0, length).Where(i => float.IsFinite(scores[i]))
                .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            var top = Scoring.SelectTop(scores, k);
            Assert.Equal(expected, top.Select(t => t.Item).ToArray());
            Assert.Equal(expected.Select(i => scores[i]).ToArray(), top.Select(t => t.Score).ToArray());
        }
    }
}
