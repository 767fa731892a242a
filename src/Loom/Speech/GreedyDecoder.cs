namespace Loom.Speech;

/// <summary>
/// Best-path CTC decoding: the most probable class per frame, repeats merged, blanks dropped. Not the most
/// probable labelling (that sums over alignments; see <see cref="PrefixBeamSearch"/>), but close to it for a
/// confident model, and linear in T·C.
/// </summary>
public static class GreedyDecoder
{
    /// <summary>
    /// Decodes one utterance. logProbs: (T, C) row-major (or a slice of frames with <paramref name="stride"/>
    /// between them, e.g. N·C for sample n of a (T, N, C) batch starting at n·C); only the first
    /// <paramref name="length"/> frames are read.
    /// </summary>
    public static int[] Decode(ReadOnlySpan<float> logProbs, int length, int classes, int blank = 0, int stride = -1)
    {
        if (stride < 0) stride = classes;
        CheckArguments(logProbs.Length, length, classes, blank, stride, "GreedyDecoder");
        var labels = new List<int>(length);
        int prev = -1;
        for (int t = 0; t < length; t++)
        {
            var frame = logProbs.Slice(t * stride, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (frame[c] > frame[best]) best = c;
            if (best != prev && best != blank) labels.Add(best);
            prev = best;
        }
        return labels.ToArray();
    }

    internal static void CheckArguments(int available, int length, int classes, int blank, int stride, string who)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), $"{who}: need at least one class, got {classes}.");
        if (blank < 0 || blank >= classes) throw new ArgumentOutOfRangeException(nameof(blank), $"{who}: blank {blank} is outside the {classes} classes [0, {classes - 1}].");
        if (stride < classes) throw new ArgumentOutOfRangeException(nameof(stride), $"{who}: frame stride {stride} is less than the {classes} classes.");
        if (length < 0 || (length > 0 && (long)(length - 1) * stride + classes > available))
            throw new ArgumentException($"{who}: {length} frames of {classes} classes (stride {stride}) do not fit in the {available} log-probabilities given.");
    }
}
