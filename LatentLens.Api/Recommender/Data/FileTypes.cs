using System.Runtime.InteropServices;

namespace LatentLens.Api.Recommender.Data;

/// <summary>What kind of file a path names, as Linux says (<c>statx</c>), for refusing what is not a regular file.</summary>
internal static partial class FileTypes
{
    /// <summary>
    /// The type of the file at <paramref name="path"/> (symbolic links followed) from Linux's <c>statx</c>,
    /// whose layout is the same on every architecture; null where that is unavailable. .NET's own file
    /// attributes call a FIFO or a device <c>Normal</c>, so they cannot tell.
    /// </summary>
    public static string? Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        const int AtFdCwd = -100;
        const uint StatxType = 0x1;
        Span<byte> buffer = stackalloc byte[256];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
            {
                return null;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }

        // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode.
        var mode = BitConverter.ToUInt16(buffer[28..30]);
        return (mode & 0xF000) switch
        {
            0x8000 => "regular file",
            0x4000 => "folder",
            0x1000 => "FIFO",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => "special file",
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, Span<byte> buffer);
}
