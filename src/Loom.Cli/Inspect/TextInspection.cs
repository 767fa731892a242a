using System.Globalization;
using System.Text.RegularExpressions;
using Loom.Data;
using Loom.Inspect;
using Loom.Nn;
using Loom.Serialization;
using Loom.Text;

namespace Loom.Cli.Inspect;

/// <summary>
/// The pictures of a text model for one text: the prediction (classes, each token's tag, or each character's
/// surprisal for a language model), and for a recurrent model the text coloured by chosen hidden units, the gates
/// over time as heatmaps with how often they saturate, and the recurrence unrolled over the first steps.
/// </summary>
internal static partial class TextInspection
{
    public static void Write(ReportPage page, Sequential model, ModelSpec spec, string text, int[]? units, int top, string outDir)
    {
        var vocabulary = Vocabulary.FromTokens(spec.Vocabulary!);
        var (pieces, ids) = Tokens(text, spec, vocabulary);
        if (ids.Length == 0) throw new UserException("--text has no tokens the model can read.");
        int length = spec.Task == TaskKind.LanguageModel ? ids.Length : Math.Min(ids.Length, spec.InputShape[0]);
        if (length < ids.Length) (pieces, ids) = (pieces.Take(length).ToList(), ids[..length]);
        var x = new Tensor(ids.Select(i => (float)i).ToArray(), 1, ids.Length);
        model.ResetStates();
        var outputs = Inspector.Outputs(model, x);
        model.ResetStates();
        string Name(int c) => spec.ClassNames?[c] ?? (spec.Task == TaskKind.LanguageModel ? vocabulary.TokenOf(c) : c.ToString(CultureInfo.InvariantCulture));

        switch (spec.Task)
        {
            case TaskKind.LanguageModel: Surprisal(page, outputs.Output, pieces, ids); break;
            case TaskKind.Tag: Tags(page, outputs.Output, pieces, Name); break;
            default:
                var p = ImageInspection.Softmax(outputs.Output.Data);
                page.Heading("Prediction").Bars(Enumerable.Range(0, p.Length).OrderByDescending(c => p[c]).Take(top).Select(c => (Name(c), (double)p[c])));
                break;
        }
        if (model.Layers.FirstOrDefault(l => l is RecurrentLayer) is not RecurrentLayer rnn)
        {
            page.Paragraph("This model has no recurrent layer, so there is no hidden state to show.");
            return;
        }
        int index = model.Layers.ToList().IndexOf(rnn);
        var input = index == 0 ? x : outputs[model.Layers[index - 1].Name];
        var trace = Inspector.Trace(rnn, input);
        HiddenUnits(page, trace, pieces, units, spec.Tokenizer == TokenizerKind.Char ? "" : " ");
        if (spec.Tokenizer == TokenizerKind.Char) UnitsThatTrack(page, trace, text[..Math.Min(text.Length, pieces.Count)]);
        Gates(page, trace, outDir);
        page.Heading("The recurrence unrolled").Raw(Unrolled.Svg(rnn, pieces.Take(5).ToList(), spec.Task == TaskKind.Classify ? "(pooled)" : "scores"));
    }

    /// <summary>The text as the model's tokens (what is shown) and their ids; a word the vocabulary lacks is read as it was in training.</summary>
    private static (List<string> Pieces, int[] Ids) Tokens(string text, ModelSpec spec, Vocabulary vocabulary)
    {
        if (spec.Tokenizer == TokenizerKind.Char)
            return (text.Select(c => c.ToString()).ToList(), Tokenizer.Encode(text, TokenizerKind.Char, vocabulary));
        if (spec.Task == TaskKind.Tag)
        {
            // A tagger reads words with their case and punctuation as tokens of their own, as the Brown corpus has them.
            var words = TaggedWords().Matches(text).Select(m => m.Value).ToList();
            return (words, words.Select(w => WordSignature.IdOf(vocabulary, w)).ToArray());
        }
        var tokens = Tokenizer.Tokenize(text, TokenizerKind.Word);
        return (tokens, vocabulary.Encode(tokens));
    }

    [GeneratedRegex(@"\w+(?:['’-]\w+)*|[^\w\s]")]
    private static partial Regex TaggedWords();

    private static void Surprisal(ReportPage page, Tensor logits, List<string> pieces, int[] ids)
    {
        int T = ids.Length, V = logits.Shape[2];
        var bits = new float[T];
        double total = 0;
        for (int t = 1; t < T; t++)
        {
            var p = ImageInspection.Softmax(logits.Data.AsSpan((t - 1) * V, V));
            bits[t] = -MathF.Log2(Math.Max(p[ids[t]], 1e-30f));
            total += bits[t];
        }
        page.Heading("Surprisal").Paragraph(string.Create(CultureInfo.InvariantCulture,
            $"Each character coloured by how surprised the model was to see it after the text before it: white 0 bits, red 8 or more. Mean {total / Math.Max(1, T - 1):F2} bits per character over {T - 1} predictions (the first character has no context)."));
        page.Raw(ReportPage.ColouredText(pieces, i => ReportPage.CssDiverging(bits[i] / 8f), i => string.Create(CultureInfo.InvariantCulture, $"{bits[i]:F2} bits")));
    }

    private static void Tags(ReportPage page, Tensor logits, List<string> pieces, Func<int, string> name)
    {
        int C = logits.Shape[2];
        var rows = new List<IReadOnlyList<string>>();
        for (int t = 0; t < pieces.Count; t++)
        {
            var p = ImageInspection.Softmax(logits.Data.AsSpan(t * C, C));
            int best = ImageInspection.ArgMax(p);
            rows.Add([pieces[t], name(best), p[best].ToString("P1", CultureInfo.InvariantCulture)]);
        }
        page.Heading("Tags").Table(["token", "predicted tag", "confidence"], rows);
    }

    /// <summary>The text coloured by a few hidden units of the last layer's forward direction: the chosen ones, or the two that vary most, the most and the least active.</summary>
    private static void HiddenUnits(ReportPage page, RecurrentTrace trace, List<string> pieces, int[]? units, string separator)
    {
        var last = trace.Of(trace.Directions.Max(d => d.Layer));
        int T = trace.Steps, H = trace.HiddenSize;
        if (units is not null && units.FirstOrDefault(u => u < 0 || u >= H, -1) is int bad && bad >= 0)
            throw new UserException($"--units {bad} is outside the layer's {H} hidden units (0..{H - 1}).");
        double Mean(int u) => Enumerable.Range(0, T).Average(t => Math.Abs(last.Hidden[t * H + u]));
        double Variance(int u)
        {
            double m = Enumerable.Range(0, T).Average(t => last.Hidden[t * H + u]);
            return Enumerable.Range(0, T).Average(t => Math.Pow(last.Hidden[t * H + u] - m, 2));
        }
        var chosen = units?.Select(u => (u, "chosen")).ToList() ?? [];
        if (chosen.Count == 0)
        {
            var all = Enumerable.Range(0, H).ToList();
            foreach (var u in all.OrderByDescending(Variance).Take(2)) chosen.Add((u, "varies most"));
            chosen.Add((all.OrderByDescending(Mean).First(u => chosen.All(c => c.Item1 != u)), "most active"));
            chosen.Add((all.OrderBy(Mean).First(u => chosen.All(c => c.Item1 != u)), "least active"));
        }
        page.Heading("Hidden units over the text").Paragraph(
            $"Each character (or word) coloured by a hidden unit's value h_t after reading it: red positive, blue negative, white zero (layer {last.Layer}, forward direction, {H} units).");
        foreach (var (u, why) in chosen)
            page.Paragraph($"Unit {u} ({why}):").Raw(ReportPage.ColouredText(pieces, t => ReportPage.CssDiverging(last.Hidden[t * H + u]),
                t => string.Create(CultureInfo.InvariantCulture, $"h[{u}] = {last.Hidden[t * H + u]:F3}"), separator));
    }

    /// <summary>
    /// For a character model: the units whose hidden state follows a property of the text best (Pearson correlation
    /// over the steps) — the position inside the current word, being at a space, being inside quotation marks, the
    /// column within the line — what Karpathy, Johnson and Fei-Fei (2015) looked for by eye.
    /// </summary>
    private static void UnitsThatTrack(ReportPage page, RecurrentTrace trace, string text)
    {
        var last = trace.Of(trace.Directions.Max(d => d.Layer));
        int T = Math.Min(trace.Steps, text.Length), H = trace.HiddenSize;
        var quote = new double[T]; var word = new double[T]; var space = new double[T]; var column = new double[T];
        bool inQuote = false;
        for (int t = 0, w = 0, c = 0; t < T; t++)
        {
            if (text[t] is '"' or '“' or '”') inQuote = !inQuote;
            w = char.IsLetter(text[t]) ? w + 1 : 0;
            c = text[t] == '\n' ? 0 : c + 1;
            (quote[t], word[t], space[t], column[t]) = (inQuote ? 1 : 0, w, text[t] == ' ' ? 1 : 0, c);
        }
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (name, feature) in new[] { ("position in the word", word), ("at a space", space), ("inside quotation marks", quote), ("column in the line", column) })
        {
            var best = Enumerable.Range(0, H).Select(u => (Unit: u, R: Correlation(feature, last.Hidden, u, H, T))).OrderByDescending(b => Math.Abs(b.R)).Take(3).ToList();
            rows.Add([name, string.Join(", ", best.Select(b => FormattableString.Invariant($"unit {b.Unit} ({b.R:F2})")))]);
        }
        page.Paragraph($"The units that follow a property of this text best (correlation over its {T} characters; ±1 is a perfect tracker, 0 none):")
            .Table(["property", "best units (correlation)"], rows);
    }

    private static double Correlation(double[] a, float[] hidden, int unit, int H, int T)
    {
        double ma = 0, mb = 0;
        for (int t = 0; t < T; t++) { ma += a[t]; mb += hidden[t * H + unit]; }
        ma /= T; mb /= T;
        double s = 0, sa = 0, sb = 0;
        for (int t = 0; t < T; t++)
        {
            double da = a[t] - ma, db = hidden[t * H + unit] - mb;
            s += da * db; sa += da * da; sb += db * db;
        }
        return sa == 0 || sb == 0 ? 0 : s / Math.Sqrt(sa * sb);
    }

    /// <summary>Every gate of the last layer as a units × steps heatmap, and how often each saturates (Karpathy, Johnson and Fei-Fei 2015).</summary>
    private static void Gates(ReportPage page, RecurrentTrace trace, string outDir)
    {
        var last = trace.Of(trace.Directions.Max(d => d.Layer));
        int T = trace.Steps, H = trace.HiddenSize, G = trace.GateNames.Count;
        page.Heading("Gates over time");
        var rows = new List<IReadOnlyList<string>>();
        for (int g = 0; g < G; g++)
        {
            string gate = trace.GateNames[g];
            bool squashed = gate is "i" or "f" or "o" or "r" or "z"; // sigmoid gates in [0, 1]; the others (g, n, h) are tanh or ReLU
            // The picture shows the first steps (a long text would make it too wide to read); the counts cover all.
            int shown = Math.Min(T, 600);
            var map = new float[H * shown];
            int low = 0, high = 0;
            for (int t = 0; t < T; t++)
                for (int u = 0; u < H; u++)
                {
                    float v = last.Gates[t * G * H + g * H + u];
                    if (t < shown) map[u * shown + t] = squashed ? v : (v + 1) / 2;
                    if (squashed ? v < 0.1f : v < -0.9f) low++;
                    if (squashed ? v > 0.9f : v > 0.9f) high++;
                }
            int scale = Math.Clamp(600 / shown, 1, 8);
            string file = $"gate-{gate}.png";
            Raster.Grid([map], H, shown, scale, 1, _ => ValueColors.Ramp).Save(Path.Combine(outDir, file));
            page.Image(file, $"Gate {gate}: rows are the {H} units, columns the {(shown < T ? $"first {shown} of {T} steps" : "steps")}; {(squashed ? "dark 0, yellow 1" : "dark −1, yellow +1")}.");
            double n = H * T;
            rows.Add([gate, (low / n).ToString("P1", CultureInfo.InvariantCulture), (high / n).ToString("P1", CultureInfo.InvariantCulture)]);
        }
        if (trace.GateNames.Contains("f"))
        {
            // Per unit: how often its forget gate holds (> 0.9) or lets go (< 0.1) — long memories against short ones.
            int f = trace.GateNames.ToList().IndexOf("f"), keeps = 0, drops = 0;
            for (int u = 0; u < H; u++)
            {
                int open = 0, shut = 0;
                for (int t = 0; t < T; t++)
                {
                    float v = last.Gates[t * G * H + f * H + u];
                    if (v > 0.9f) open++;
                    if (v < 0.1f) shut++;
                }
                if (open >= 0.9 * T) keeps++;
                if (shut >= 0.9 * T) drops++;
            }
            page.Paragraph($"{keeps} of the {H} units keep their forget gate above 0.9 on at least 90 % of the steps (long memories); {drops} keep it below 0.1 as often (they forget at every step).");
        }
        page.Paragraph("How often each gate is saturated over this text: sigmoid gates below 0.1 (closed) or above 0.9 (open); tanh activations below −0.9 or above 0.9.")
            .Table(["gate", "left-saturated", "right-saturated"], rows);
    }
}
