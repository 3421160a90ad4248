using System.Text;

namespace LatentLens.Api.Recommender.Data;

/// <summary>
/// Lines of a file, each at most <see cref="RatingReaders.MaxLineBytes"/> bytes and free of NUL bytes, else a
/// <see cref="DataFormatException"/> at that line; memory is one buffer of that size, whatever the file.
/// A UTF-8 byte order mark is skipped; <c>\n</c> and <c>\r\n</c> end lines.
/// </summary>
internal sealed class LineReader : IDisposable
{
    private readonly string _path;
    private readonly Encoding _encoding;
    private readonly FileStream _stream;
    private readonly byte[] _buffer = new byte[RatingReaders.MaxLineBytes + 2];
    private int _start;
    private int _end;
    private bool _eof;

    public LineReader(string path, Encoding encoding)
    {
        RatingReaders.RequireFile(path);
        _path = path;
        _encoding = encoding;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
    }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    public string? ReadLine()
    {
        if (_eof && _start == _end)
        {
            return null;
        }

        LineNumber++;
        var scanned = _start;
        while (true)
        {
            var pending = _buffer.AsSpan(scanned, _end - scanned);
            var newline = pending.IndexOf((byte)'\n');
            if ((newline >= 0 ? pending[..newline] : pending).Contains((byte)0))
            {
                throw new DataFormatException(_path, LineNumber, "the line holds a NUL byte: a binary file, not ratings");
            }

            if (newline >= 0)
            {
                var end = scanned + newline;
                var line = Decode(_start, end);
                _start = end + 1;
                return line;
            }

            if (_end - _start >= _buffer.Length)
            {
                throw new DataFormatException(_path, LineNumber, FormattableString.Invariant($"the line is longer than {RatingReaders.MaxLineBytes:N0} bytes: not a ratings file"));
            }

            if (_eof)
            {
                if (_start == _end)
                {
                    // The file ended with its last line's newline (or is empty): no further line, as StreamReader.
                    LineNumber--;
                    return null;
                }

                var line = Decode(_start, _end);
                _start = _end;
                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            scanned = _end;
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _eof = true;
            }

            _end += read;
        }
    }

    public void Dispose() => _stream.Dispose();

    private string Decode(int start, int end)
    {
        if (end > start && _buffer[end - 1] == (byte)'\r')
        {
            end--;
        }

        if (LineNumber == 1 && end - start >= 3 && _buffer[start] == 0xEF && _buffer[start + 1] == 0xBB && _buffer[start + 2] == 0xBF)
        {
            start += 3;
        }

        return _encoding.GetString(_buffer, start, end - start);
    }
}
