using System.Globalization;
using System.Net;
using System.Text;
using Loom.IO;

namespace Loom.Cli.Inspect;

/// <summary>
/// One self-contained HTML page: a title, sections of text, PNGs beside the page, tables and inline markup — no
/// script, no network, one small stylesheet that reflows for a phone.
/// </summary>
internal sealed class ReportPage(string title)
{
    private readonly StringBuilder _body = new();

    /// <summary>The image files the page links to (names relative to the page), for checking and listing.</summary>
    public List<string> Images { get; } = [];

    public ReportPage Heading(string text)
    {
        _body.Append("<h2>").Append(Encode(text)).AppendLine("</h2>");
        return this;
    }

    public ReportPage Paragraph(string text)
    {
        _body.Append("<p>").Append(Encode(text)).AppendLine("</p>");
        return this;
    }

    /// <summary>A PNG beside the page, with a caption; <paramref name="pixelated"/> keeps small maps crisp when the browser scales them.</summary>
    public ReportPage Image(string file, string caption, bool pixelated = true)
    {
        Images.Add(file);
        _body.Append("<figure><img src=\"").Append(Encode(file)).Append("\" alt=\"").Append(Encode(caption)).Append('"')
            .Append(pixelated ? " class=\"px\"" : "").Append("><figcaption>").Append(Encode(caption)).AppendLine("</figcaption></figure>");
        return this;
    }

    public ReportPage Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _body.AppendLine("<table><thead><tr>");
        foreach (var h in header) _body.Append("<th>").Append(Encode(h)).Append("</th>");
        _body.AppendLine("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            foreach (var cell in row) _body.Append("<td>").Append(Encode(cell)).Append("</td>");
            _body.AppendLine("</tr>");
        }
        _body.AppendLine("</tbody></table>");
        return this;
    }

    /// <summary>Horizontal bars for probabilities in [0, 1] (the top predictions).</summary>
    public ReportPage Bars(IEnumerable<(string Label, double Value)> bars)
    {
        _body.AppendLine("<div class=\"bars\">");
        foreach (var (label, value) in bars)
            _body.Append("<div class=\"bar\"><span class=\"label\">").Append(Encode(label)).Append("</span><span class=\"track\"><span class=\"fill\" style=\"width:")
                .Append((Math.Clamp(value, 0, 1) * 100).ToString("F1", CultureInfo.InvariantCulture)).Append("%\"></span></span><span class=\"value\">")
                .Append(value.ToString("P1", CultureInfo.InvariantCulture)).AppendLine("</span></div>");
        _body.AppendLine("</div>");
        return this;
    }

    /// <summary>Markup the caller built (coloured text, an SVG drawing); it must already be encoded.</summary>
    public ReportPage Raw(string html)
    {
        _body.AppendLine(html);
        return this;
    }

    /// <summary>
    /// Text with each piece's background coloured: <paramref name="color"/> gives a CSS colour, <paramref name="tip"/>
    /// its hover text; <paramref name="separator"/> goes between pieces (a space between words, nothing between characters).
    /// </summary>
    public static string ColouredText(IReadOnlyList<string> pieces, Func<int, string> color, Func<int, string> tip, string separator = "")
    {
        var sb = new StringBuilder("<div class=\"text\">");
        for (int i = 0; i < pieces.Count; i++)
        {
            string piece = pieces[i] == "\n" ? "↵\n" : pieces[i];
            sb.Append("<span style=\"background:").Append(color(i)).Append("\" title=\"").Append(Encode(tip(i))).Append("\">")
                .Append(Encode(piece)).Append("</span>");
            if (i + 1 < pieces.Count) sb.Append(separator);
        }
        return sb.Append("</div>").ToString();
    }

    /// <summary>A CSS colour for a value in [−1, 1]: blue through white to red.</summary>
    public static string CssDiverging(float v)
    {
        v = Math.Clamp(float.IsFinite(v) ? v : 0f, -1f, 1f);
        int fade = (int)(255 * (1 - MathF.Abs(v)));
        return v >= 0 ? $"rgb(255,{fade},{fade})" : $"rgb({fade},{fade},255)";
    }

    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    public void Save(string path) => AtomicFile.WriteAllText(path, $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{Encode(title)}}</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem; color: #222; line-height: 1.45; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
        figure { margin: 1rem 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }
        img.px { image-rendering: pixelated; min-width: min(100%, 24rem); }
        figcaption { font-size: 0.9rem; color: #555; }
        table { border-collapse: collapse; font-size: 0.9rem; } td, th { border: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: left; }
        .bars { max-width: 32rem; } .bar { display: flex; align-items: center; gap: 0.5rem; margin: 0.2rem 0; }
        .label { width: 9rem; overflow: hidden; } .track { flex: 1; background: #eee; height: 0.9rem; } .fill { display: block; height: 100%; background: #3b528b; }
        .value { width: 4rem; text-align: right; font-variant-numeric: tabular-nums; }
        .text { font-family: ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; font-size: 0.95rem; border: 1px solid #eee; padding: 0.5rem; }
        svg { max-width: 100%; height: auto; }
        </style>
        </head>
        <body>
        <h1>{{Encode(title)}}</h1>
        {{_body}}
        </body>
        </html>

        """);
}
