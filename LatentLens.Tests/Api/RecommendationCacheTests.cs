using LatentLens.Api.Serving;

namespace LatentLens.Tests.Api;

public sealed class RecommendationCacheTests
{
    [Fact]
    public void AnswersAreKeptUntilTheByteBudgetIsSpentThenComputedAndNotKept()
    {
        var cache = new RecommendationCache();
        var big = new CachedRecommendations(new byte[RecommendationCache.MaxBytes / 2], 10);

        cache.Add((1, 10, true), big);
        cache.Add((2, 10, true), big);
        var third = cache.Add((3, 10, true), big); // over the budget: answered, not kept

        Assert.Same(big, third);
        Assert.True(cache.TryGet((1, 10, true), out var first) && ReferenceEquals(first, big));
        Assert.True(cache.TryGet((2, 10, true), out _));
        Assert.False(cache.TryGet((3, 10, true), out _));
        Assert.Equal(RecommendationCache.MaxBytes, cache.Bytes);
        Assert.Equal(3, cache.Rankings);
    }
}
