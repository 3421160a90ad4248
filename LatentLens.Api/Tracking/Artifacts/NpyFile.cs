using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LatentLens.Api.Tracking.Artifacts;

/// <summary>
/// NumPy's <c>.npy</c> format, version 1.0, for little-endian float32 arrays of one or two
/// dimensions and int32 vectors (C order), so a Python user can <c>np.load</c> a LatentLens model. Hand-written:
/// the format is a 10-byte preamble, a Python-literal header and raw data, and no kept .NET package
/// writes it without pulling in a whole array library.
/// </summary>
internal partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    [GeneratedRegex(@"'descr':\s*'(?<descr>[^']+)'.*'fortran_order':\s*(?<fortran>True|False).*'shape':\s*\((?<shape>[^)]*)\)", RegexOptions.Singleline)]
    private static partial Regex HeaderPattern();

    /// <summary>Encodes a <paramref name="rows"/> × <paramref name="columns"/> float32 matrix taken from rows of <paramref name="stride"/> floats.</summary>
    public static byte[] WriteMatrix(ReadOnlySpan<float> data, int rows, int columns, int stride)
    {
        var bytes = Preamble("<f4", $"({rows}, {columns})", rows * columns, out var body);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(((r * columns) + c) * 4), data[(r * stride) + c]);
            }
        }

        return bytes;
    }

    /// <summary>Encodes a one-dimensional float32 array.</summary>
    public static byte[] WriteVector(ReadOnlySpan<float> data)
    {
        var bytes = Preamble("<f4", $"({data.Length},)", data.Length, out var body);
        for (var k = 0; k < data.Length; k++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(k * 4), data[k]);
        }

        return bytes;
    }

    /// <summary>Allocates the file: magic, version 1.0, the header padded so the data starts at a multiple of 64 bytes.</summary>
    private static byte[] Preamble(string descr, string shape, int count, out ArraySegment<byte> body)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        var unpadded = Magic.Length + 2 + 2 + header.Length + 1;
        header = header.PadRight(header.Length + ((64 - (unpadded % 64)) % 64)) + "\n";
        var bytes = new byte[Magic.Length + 4 + header.Length + (count * 4)];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(10));
        body = new ArraySegment<byte>(bytes, 10 + header.Length, count * 4);
        return bytes;
    }

    /// <summary>Encodes a one-dimensional little-endian int32 array.</summary>
    public static byte[] WriteInt32(ReadOnlySpan<int> data)
    {
        var bytes = Preamble("<i4", $"({data.Length},)", data.Length, out var body);
        for (var k = 0; k < data.Length; k++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(k * 4), data[k]);
        }

        return bytes;
    }

    /// <summary>Decodes a one-dimensional int32 array.</summary>
    public static int[] ReadInt32(ReadOnlySpan<byte> bytes)
    {
        var raw = Decode(bytes, "<i4", out var shape);
        if (shape.Length != 1)
        {
            throw new InvalidDataException($"expected one dimension, found {shape.Length}");
        }

        var data = new int[shape[0]];
        for (var k = 0; k < data.Length; k++)
        {
            data[k] = BinaryPrimitives.ReadInt32LittleEndian(raw[(k * 4)..]);
        }

        return data;
    }

    /// <summary>Decodes a float32 array; throws <see cref="InvalidDataException"/> saying what is wrong (truncated, not float32, ...).</summary>
    public static (float[] Data, int[] Shape) Read(ReadOnlySpan<byte> bytes)
    {
        var body = Decode(bytes, "<f4", out var shape);
        var data = new float[body.Length / 4];
        for (var k = 0; k < data.Length; k++)
        {
            data[k] = BinaryPrimitives.ReadSingleLittleEndian(body[(k * 4)..]);
        }

        return (data, shape);
    }

    /// <summary>
    /// Checks the preamble and header and returns the data. Every defect (truncation at any byte, a header
    /// that is not the Python literal NumPy writes, a shape that is not non-negative decimal integers or
    /// needs more bytes than the file holds) is an <see cref="InvalidDataException"/>: callers catch that
    /// one type to reject a model, so nothing else may escape.
    /// </summary>
    private static ReadOnlySpan<byte> Decode(ReadOnlySpan<byte> bytes, string descr, out int[] shape)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a .npy file (bad magic)");
        }

        long headerLength;
        int offset;
        if (bytes[6] == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
            offset = 10;
        }
        else if (bytes[6] is 2 or 3 && bytes.Length >= 12)
        {
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
            offset = 12;
        }
        else
        {
            throw new InvalidDataException($"unsupported .npy version {bytes[6]}");
        }

        if (bytes.Length < offset + headerLength)
        {
            throw new InvalidDataException("the .npy header is truncated");
        }

        var header = Encoding.ASCII.GetString(bytes.Slice(offset, (int)headerLength));
        var match = HeaderPattern().Match(header);
        if (!match.Success)
        {
            throw new InvalidDataException($"unreadable .npy header {header.Trim()}");
        }

        if (match.Groups["descr"].Value != descr || match.Groups["fortran"].Value != "False")
        {
            throw new InvalidDataException($"expected {descr} in C order, found {match.Groups["descr"].Value}, fortran_order {match.Groups["fortran"].Value}");
        }

        var body = bytes[(offset + (int)headerLength)..];
        shape = ParseShape(match.Groups["shape"].Value, body.Length / 4);
        var count = shape.Aggregate(1L, (a, b) => a * b);
        if (body.Length != count * 4)
        {
            throw new InvalidDataException($"the data holds {body.Length} bytes; shape ({string.Join(", ", shape)}) needs {count * 4}: the file is truncated");
        }

        return body;
    }

    /// <summary>
    /// The dimensions of a shape literal such as <c>(3, 4)</c>. Their product may not exceed the
    /// <paramref name="available"/> elements, checked as it grows so it cannot overflow.
    /// </summary>
    private static int[] ParseShape(string literal, int available)
    {
        var parts = literal.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (var d = 0; d < parts.Length; d++)
        {
            if (!int.TryParse(parts[d], NumberStyles.None, CultureInfo.InvariantCulture, out shape[d]))
            {
                throw new InvalidDataException($"the .npy shape ({literal}) has '{parts[d]}', not a dimension (a non-negative decimal integer below 2^31)");
            }
        }

        // A zero dimension makes an empty array whatever the others say (a model of 0 factors has (users, 0)).
        var count = shape.Contains(0) ? 0L : 1L;
        for (var d = 0; d < shape.Length && count > 0; d++)
        {
            count *= shape[d];
            if (count > available)
            {
                throw new InvalidDataException($"the .npy shape ({literal}) needs more than the {available} elements the data holds: the file is truncated or the header is wrong");
            }
        }

        return shape;
    }
}
