namespace Loom.Tests.Speech;

/// <summary>
/// The naive twin of CTC: every alignment (a class per frame, C^T of them) enumerated, collapsed (merge repeats,
/// drop blanks), and its probability added to its labelling's. Only for tiny T and C.
/// </summary>
internal static class CtcBruteForce
{
    public static string Key(IEnumerable<int> labels) => string.Join(",", labels);

    /// <summary>p(labelling | x) for every labelling with non-zero probability; logProbs is (T, C) row-major.</summary>
    public static Dictionary<string, double> LabellingProbabilities(float[] logProbs, int t, int c, int blank)
    {
        var result = new Dictionary<string, double>();
        var path = new int[t];
        long count = (long)Math.Pow(c, t);
        var labels = new List<int>(t);
        for (long k = 0; k < count; k++)
        {
            long rest = k;
            double lp = 0;
            for (int i = 0; i < t; i++) { path[i] = (int)(rest % c); rest /= c; lp += logProbs[i * c + path[i]]; }
            labels.Clear();
            int prev = -1;
            foreach (int p in path)
            {
                if (p != prev && p != blank) labels.Add(p);
                prev = p;
            }
            string key = Key(labels);
            result[key] = result.GetValueOrDefault(key) + Math.Exp(lp);
        }
        return result;
    }
}
