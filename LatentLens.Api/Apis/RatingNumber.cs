using System.Text.Json;

namespace LatentLens.Api.Apis;

/// <summary>The rating of a POST body's history entry, read from its JSON number token.</summary>
internal static class RatingNumber
{
    /// <summary>
    /// A rating number: the common spellings (<c>4</c>, <c>4.5</c>, <c>10</c>, <c>3.0</c>: one or two digits, at most one
    /// decimal) by hand, the rest through <see cref="Utf8JsonReader.TryGetDouble"/>. Exact: digits / 10 is one correctly
    /// rounded division of two exactly represented integers, the same double the full parser gives.
    /// </summary>
    public static bool TryRead(ref Utf8JsonReader reader, out double value)
    {
        if (!reader.HasValueSequence)
        {
            var b = reader.ValueSpan;
            static bool Digit(byte c) => (uint)(c - '0') <= 9;
            switch (b.Length)
            {
                case 1 when Digit(b[0]):
                    value = b[0] - '0';
                    return true;
                case 2 when Digit(b[0]) && Digit(b[1]) && b[0] != '0':
                    value = ((b[0] - '0') * 10) + (b[1] - '0');
                    return true;
                case 3 when Digit(b[0]) && b[1] == '.' && Digit(b[2]):
                    value = (((b[0] - '0') * 10) + (b[2] - '0')) / 10.0;
                    return true;
                case 4 when Digit(b[0]) && Digit(b[1]) && b[0] != '0' && b[2] == '.' && Digit(b[3]):
                    value = (((b[0] - '0') * 100) + ((b[1] - '0') * 10) + (b[3] - '0')) / 10.0;
                    return true;
            }
        }

        return reader.TryGetDouble(out value);
    }
}
