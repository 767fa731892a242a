using System.Text;
using Loom.Tests.Data;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Text;

public sealed class MailFolderTests
{
    private static byte[] Mail(string body, string subject = "hi") =>
        Encoding.UTF8.GetBytes($"From: a@b.c\r\nSubject: {subject}\r\n\r\n{body}");

    [Fact]
    public void StripHeadersKeepsWhatFollowsTheFirstBlankLine()
    {
        Assert.Equal("Body line\n\nmore", MailFolder.StripHeaders("From: x\nSubject: y\n\nBody line\n\nmore"));
        Assert.Equal("", MailFolder.StripHeaders("From: x\nSubject: only headers\n"));
        Assert.Equal("body", MailFolder.StripHeaders("\nbody"));
    }

    [Fact]
    public void ReadsGroupFoldersSkippingTwinsAndLists()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("easy-ham-1"));
        Directory.CreateDirectory(dir.File("spam_2"));
        File.WriteAllBytes(dir.File("easy-ham-1/00002.bbb.txt"), Mail("second ham"));
        File.WriteAllBytes(dir.File("easy-ham-1/00001.aaa.txt"), Mail("first ham"));
        File.WriteAllText(dir.File("easy-ham-1/00001.aaa.json"), "{}");
        File.WriteAllText(dir.File("easy-ham-1/.hidden"), "x");
        File.WriteAllBytes(dir.File("spam_2/00001.ccc"), [.. Encoding.ASCII.GetBytes("Subject: x\n\nPrix "), 0xE0, 0x20, 0xA3, 0x35]);
        File.WriteAllText(dir.File("spam_2/cmds"), "mv 1 2");
        File.WriteAllText(dir.File("file_list.json"), "[]");

        var mails = MailFolder.Read(dir.Path);
        Assert.Equal(["easy-ham-1/00001.aaa.txt", "easy-ham-1/00002.bbb.txt", "spam_2/00001.ccc"], mails.Select(m => m.Source));
        Assert.Equal([MailFolder.Ham, MailFolder.Ham, MailFolder.Spam], mails.Select(m => m.Label));
        Assert.Equal("first ham", mails[0].Text);
        Assert.Equal("Prix à £5", mails[2].Text);
        Assert.Equal(["ham", "spam"], MailFolder.ClassNames);

        // The same files as archive entries give the same mails.
        var entries = Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories)
            .Select(p => ("package/data/" + Path.GetRelativePath(dir.Path, p).Replace('\\', '/'), File.ReadAllBytes(p)))
            .Reverse();
        var fromArchive = MailFolder.Read(entries);
        Assert.Equal(mails.Select(m => (m.Text, m.Label)), fromArchive.Select(m => (m.Text, m.Label)));
        Assert.Equal("package/data/spam_2/00001.ccc", fromArchive[2].Source);
    }

    [Fact]
    public void AFolderWithoutMailIsEmpty()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("spam"));
        File.WriteAllText(dir.File("spam/cmds"), "");
        var ex = Assert.Throws<InvalidDataException>(() => MailFolder.Read(dir.Path));
        Assert.Contains(dir.Path, ex.Message);
    }

    [Fact]
    public void DeduplicateKeepsTheFirstOfEqualBodiesUpToWhiteSpace()
    {
        LabeledText[] mails =
        [
            new("Buy  now\n", 1, "spam/1"),
            new("hello", 0, "ham/1"),
            new(" Buy now", 1, "spam/2"),
            new("Buy\tnow\n\n", 0, "ham/2"),
            new("Buy now!", 1, "spam/3"),
        ];
        Assert.Equal(["spam/1", "ham/1", "spam/3"], MailFolder.Deduplicate(mails).Select(m => m.Source));
    }

    [Fact]
    public void StratifiedSplitIsSeededAndKeepsClassShares()
    {
        var items = Enumerable.Range(0, 103).Select(i => (Id: i, Label: i < 73 ? 0 : 1)).ToList();
        var (train, test) = StratifiedSplit.Split(items, x => x.Label, 0.2, seed: 2024);
        Assert.Equal(15, test.Count(x => x.Label == 0));   // round(73 · 0.2) = 15
        Assert.Equal(6, test.Count(x => x.Label == 1));    // round(30 · 0.2) = 6
        Assert.Equal(82, train.Count);
        Assert.Equal(Enumerable.Range(0, 103), train.Concat(test).Select(x => x.Id).Order());
        Assert.True(train.Select(x => x.Id).SequenceEqual(train.Select(x => x.Id).Order()));
        var again = StratifiedSplit.Split(items, x => x.Label, 0.2, seed: 2024);
        Assert.Equal(test, again.Test);
        Assert.NotEqual(test, StratifiedSplit.Split(items, x => x.Label, 0.2, seed: 7).Test);
    }

    [Fact]
    public void DuplicatesAreRemovedBeforeSplitting()
    {
        // Forty mails, each body written twice (once with other white space): after the split no body is on both sides.
        var mails = new List<LabeledText>();
        for (int i = 0; i < 40; i++)
        {
            mails.Add(new LabeledText($"offer {i}", i % 2, $"a/{i:D3}"));
            mails.Add(new LabeledText($"offer  {i}\n", i % 2, $"b/{i:D3}"));
        }
        var (train, test) = SpamAssassin.Split(mails);
        Assert.Equal(40, train.Count + test.Count);
        Assert.Equal(8, test.Count);
        static string Key(LabeledText m) => string.Join(' ', m.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(train.Select(Key).Intersect(test.Select(Key)));
    }
}
