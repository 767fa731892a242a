using System.Text;
using Loom.Tests.Data;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Text;

public sealed class TextFileTests
{
    [Fact]
    public void DecodesUtf8AndStripsTheByteOrderMark()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("naïve\r\nwhale\r")];
        Assert.Equal("naïve\nwhale\r", TextFile.Decode(bytes));
    }

    [Fact]
    public void FallsBackToLatin1WhenNotUtf8()
    {
        // "café" in Latin-1: 0xE9 alone is not valid UTF-8.
        Assert.Equal("café £5", TextFile.Decode([0x63, 0x61, 0x66, 0xE9, 0x20, 0xA3, 0x35]));
    }

    [Fact]
    public void ReadAllTextNamesAMissingFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("chapter_0.txt");
        var ex = Assert.Throws<FileNotFoundException>(() => TextFile.ReadAllText(path));
        Assert.Contains(path, ex.Message);
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes("Ahab\r\n"));
        Assert.Equal("Ahab\n", TextFile.ReadAllText(path));
    }
}
