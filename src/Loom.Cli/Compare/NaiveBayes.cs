using Loom.Text;

namespace Loom.Cli.Compare;

/// <summary>
/// Multinomial naive Bayes with add-one (Laplace) smoothing: the classical text classification baseline.
/// Features are words for word corpora and character 1- to 3-grams (with the text's edges marked) for
/// character corpora, counted over the whole text.
/// </summary>
internal static class NaiveBayes
{
    /// <summary>Trains on <paramref name="train"/> and returns the accuracy on <paramref name="test"/>.</summary>
    public static double Accuracy(IReadOnlyList<LabeledText> train, IReadOnlyList<LabeledText> test, int classes, TokenizerKind tokenizer)
    {
        var counts = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var totals = new long[classes];
        var documents = new int[classes];
        foreach (var doc in train)
        {
            documents[doc.Label]++;
            foreach (var f in Features(doc.Text, tokenizer))
            {
                if (!counts.TryGetValue(f, out var c)) counts[f] = c = new int[classes];
                c[doc.Label]++;
                totals[doc.Label]++;
            }
        }
        int vocabulary = counts.Count;
        var prior = new double[classes];
        for (int k = 0; k < classes; k++) prior[k] = Math.Log((documents[k] + 1.0) / (train.Count + classes));
        int correct = 0;
        var score = new double[classes];
        foreach (var doc in test)
        {
            prior.CopyTo(score, 0);
            foreach (var f in Features(doc.Text, tokenizer))
            {
                counts.TryGetValue(f, out var c);
                for (int k = 0; k < classes; k++) score[k] += Math.Log(((c?[k] ?? 0) + 1.0) / (totals[k] + vocabulary));
            }
            int best = 0;
            for (int k = 1; k < classes; k++) if (score[k] > score[best]) best = k;
            if (best == doc.Label) correct++;
        }
        return test.Count == 0 ? double.NaN : (double)correct / test.Count;
    }

    private static IEnumerable<string> Features(string text, TokenizerKind tokenizer)
    {
        if (tokenizer != TokenizerKind.Char) return Tokenizer.Tokenize(text, tokenizer);
        string marked = "^" + text + "$";
        var grams = new List<string>();
        for (int n = 1; n <= 3; n++)
            for (int i = 0; i + n <= marked.Length; i++) grams.Add(marked.Substring(i, n));
        return grams;
    }
}
