using System.Globalization;
using System.Text;
using Loom.Nn;

namespace Loom.Cli.Inspect;

/// <summary>
/// A drawing of a recurrent layer unrolled over its first steps, generated from the layer itself: x_t enters the
/// cell through W_ih, the state h_{t−1} comes in from the left through W_hh, h_t leaves upwards to the output —
/// the same weights at every step, which is what makes it one network rather than T of them.
/// </summary>
internal static class Unrolled
{
    public static string Svg(RecurrentLayer layer, IReadOnlyList<string> inputs, string output)
    {
        const int step = 150, top = 30, width = 110;
        int n = inputs.Count, w = 60 + n * step;
        string cell = layer.Describe();
        string kind = cell[..cell.IndexOf('(')];
        string state = layer is Lstm ? "h, c" : "h";
        var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} 300\" width=\"{w}\" role=\"img\" aria-label=\"{ReportPage.Encode(cell)} unrolled over {n} steps\">"));
        sb.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#444\"/></marker></defs>");
        sb.Append("<style>text{font:13px system-ui,sans-serif;fill:#222} .w{fill:#8a2be2;font-size:12px} .box{fill:#eef3fb;stroke:#3b528b} .io{fill:#f7f7f7;stroke:#999} line{stroke:#444;stroke-width:1.5;marker-end:url(#arrow)}</style>");
        Text(sb, 10, 18, $"{cell}: the same W_ih, W_hh and biases at every step (purple)", "");
        // The zero initial state comes in from the left.
        Text(sb, 8, top + 130, $"{state}₀ = 0", "");
        for (int t = 0; t < n; t++)
        {
            int x = 50 + t * step;
            Rect(sb, x, top + 200, width, 32, "io");
            Text(sb, x + 8, top + 221, $"x{Sub(t + 1)}: {Clip(inputs[t])}", "");
            Arrow(sb, x + width / 2, top + 200, x + width / 2, top + 152);
            Text(sb, x + width / 2 + 4, top + 182, "W_ih", "w");
            Rect(sb, x, top + 100, width, 50, "box");
            Text(sb, x + 8, top + 130, $"{kind} step {t + 1}", "");
            Arrow(sb, x + width / 2, top + 100, x + width / 2, top + 62);
            Text(sb, x + width / 2 + 4, top + 88, $"h{Sub(t + 1)}", "");
            Rect(sb, x, top + 30, width, 30, "io");
            Text(sb, x + 8, top + 50, $"o{Sub(t + 1)}: {output}", "");
            int from = t == 0 ? 10 + 40 : x - step + width;
            Arrow(sb, from, top + 125, x, top + 125);
            if (t > 0) Text(sb, x - step + width + 4, top + 118, $"{state}{Sub(t)} · W_hh", "w");
        }
        return sb.Append("</svg>").ToString();
    }

    private static void Rect(StringBuilder sb, int x, int y, int w, int h, string cls) =>
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"6\" class=\"{cls}\"/>");

    private static void Arrow(StringBuilder sb, int x1, int y1, int x2, int y2) =>
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\"/>");

    private static void Text(StringBuilder sb, int x, int y, string text, string cls) =>
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{y}\"{(cls.Length > 0 ? $" class=\"{cls}\"" : "")}>{ReportPage.Encode(text)}</text>");

    private static string Clip(string s) => s.Replace("\n", "↵", StringComparison.Ordinal) is var t && t.Length > 9 ? t[..8] + "…" : t;

    private static string Sub(int t) => string.Concat(t.ToString(CultureInfo.InvariantCulture).Select(d => (char)('₀' + (d - '0'))));
}
