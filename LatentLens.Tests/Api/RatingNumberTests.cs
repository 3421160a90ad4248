using System.Text;
using System.Text.Json;
using LatentLens.Api.Apis;

namespace LatentLens.Tests.Api;

/// <summary>The hand-parsed rating spellings of <see cref="RatingNumber.TryRead"/> give the JSON reader's own double, bit for bit.</summary>
public sealed class RatingNumberTests
{
    [Fact]
    public void EveryShortSpellingParsesAsTheReaderParsesIt()
    {
        var spellings = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            spellings.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            for (var d = 0; d < 10; d++)
            {
                spellings.Add(FormattableString.Invariant($"{i}.{d}"));
            }
        }

        spellings.AddRange(["4.50", "0.25", "100", "100.5", "-1", "-0", "-4.5", "1e0", "4.5e0", "4.5E-1", "0.0", "12345.5"]);
        foreach (var spelling in spellings)
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(spelling));
            Assert.True(reader.Read(), spelling);
            Assert.True(RatingNumber.TryRead(ref reader, out var value), spelling);
            var expected = new Utf8JsonReader(Encoding.UTF8.GetBytes(spelling));
            expected.Read();
            Assert.True(expected.TryGetDouble(out var parsed), spelling);
            Assert.Equal(BitConverter.DoubleToInt64Bits(parsed), BitConverter.DoubleToInt64Bits(value));
        }
    }
}
