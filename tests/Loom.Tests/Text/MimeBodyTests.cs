using Loom.Text;
using Xunit;

namespace Loom.Tests.Text;

public class MimeBodyTests
{
    [Fact]
    public void APlainMailIsItsBody() =>
        Assert.Equal("Hello there.\n", MimeBody.Decode("From: a@b\nSubject: hi\n\nHello there.\n"));

    [Fact]
    public void AMailWithoutABlankLineHasNoBody() => Assert.Equal("", MimeBody.Decode("From: a@b\nSubject: hi\n"));

    [Fact]
    public void QuotedPrintableIsDecoded() =>
        Assert.Equal("<font color=\"red\">Save 70% now</font>\n",
            MimeBody.Decode("Content-Transfer-Encoding: quoted-printable\n\n<font color=3D\"red\">Save 70% n=\now</font>\n"));

    [Fact]
    public void Base64IsDecodedWithLatin1Fallback()
    {
        string body = Convert.ToBase64String(System.Text.Encoding.Latin1.GetBytes("Caf\u00e9"));   // not valid UTF-8
        Assert.Equal("Caf\u00e9", MimeBody.Decode("Content-Transfer-Encoding: base64\n\n" + body + "\n"));
    }

    [Fact]
    public void MultipartKeepsTheTextPartsAndDropsAttachments()
    {
        const string mail = "Content-Type: multipart/mixed;\n boundary=\"XYZ\"\n\npreamble\n--XYZ\nContent-Type: text/plain\n\nfirst part\n" +
            "--XYZ\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n" +
            "--XYZ\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<b>second=20part</b>\n--XYZ--\nepilogue\n";
        Assert.Equal("first part\n\n<b>second part</b>\n", MimeBody.Decode(mail));
    }
}
