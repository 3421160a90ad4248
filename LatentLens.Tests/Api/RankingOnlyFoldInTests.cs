using System.Net;
using LatentLens.Api.Recommender.Algorithms;

namespace LatentLens.Tests.Api;

/// <summary>A champion that ranks without rating values (the popularity model): ratings may be left out, and it cannot explain.</summary>
public sealed class RankingOnlyFoldInTests(RankingOnlyFoldInTests.PopularServed served) : IClassFixture<RankingOnlyFoldInTests.PopularServed>
{
    /// <summary>The popularity model with genres, served by a real Kestrel server.</summary>
    public sealed class PopularServed : IAsyncLifetime
    {
        internal ApiStore Store { get; } = new();

        internal KestrelApiFactory Factory { get; private set; } = null!;

        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Store.Train(new Popular(new PopularOptions()), data: FoldInServedModel.DataWithGenres());
            Factory = new KestrelApiFactory(Store.Root);
            Factory.StartServer();
            Client = new HttpClient { BaseAddress = Factory.Address, Timeout = TimeSpan.FromSeconds(30) };
            await Eventually.TrueAsync(
                async token =>
                {
                    using var ready = await Client.GetAsync("/ready", token);
                    return ready.IsSuccessStatusCode;
                },
                "/ready answers 200 (a model is loaded)",
                TimeSpan.FromSeconds(30));
        }

        public async Task DisposeAsync()
        {
            Client.Dispose();
            await Factory.DisposeAsync();
            Store.Dispose();
        }
    }

    [Fact]
    public async Task RatingsMayBeLeftOutAndTheListIsTheModelsOwnWithoutTheHistory()
    {
        var (_, trained, _) = await FoldInHttp.GetAsync(served.Client, "/users/1/recommendations?k=12&excludeRated=false");
        var top = FoldInHttp.ItemIds(trained);

        var (status, body, _) = await FoldInHttp.PostAsync(served.Client, "/recommendations", $$"""{"ratings":[{"itemId":"{{top[0]}}"},{"itemId":{{top[1]}},"rating":null}],"k":10}""");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal("history", body.GetProperty("basis").GetString());
        Assert.Equal(top.Skip(2).Take(10), FoldInHttp.ItemIds(body));
    }

    [Fact]
    public async Task ExplainSaysTheModelCannotSplitItsScores()
    {
        var (_, body, _) = await FoldInHttp.PostAsync(served.Client, "/recommendations", """{"ratings":[{"itemId":"1"}],"k":3,"explain":true}""");

        Assert.False(body.GetProperty("explained").GetBoolean());
        Assert.All(body.GetProperty("items").EnumerateArray(), item => Assert.False(item.TryGetProperty("because", out _)));
    }

    [Fact]
    public async Task GenreFiltersWorkOnTheRankingOnlyModelToo()
    {
        var (_, body, _) = await FoldInHttp.PostAsync(served.Client, "/recommendations", """{"ratings":[{"itemId":"1"}],"k":5,"genres":["Horror"]}""");

        Assert.Equal(5, FoldInHttp.ItemIds(body).Length);
        Assert.All(FoldInHttp.ItemIds(body), id => Assert.True(FoldInServedModel.HasGenre(id, "Horror"), id));
    }
}
