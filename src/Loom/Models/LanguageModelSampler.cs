using Loom.Autograd;
using Loom.Nn;

namespace Loom.Models;

/// <summary>
/// Generates text from a language model whose output is (1, T, V) next-token scores: the prompt is read
/// once, then each sampled token is fed back. A stateful model (char-lstm) carries its state, so each new
/// token costs one step; a stateless one is re-run over the whole text so far.
/// </summary>
public sealed class LanguageModelSampler(Module model, int vocabularySize)
{
    public Module Model { get; } = model;

    /// <summary>
    /// Returns <paramref name="length"/> new token ids after <paramref name="prompt"/>. Temperature scales
    /// the logits before sampling (below 1: safer, above 1: more varied; 0 picks the most likely token).
    /// Ids in <paramref name="excluded"/> (padding, unknown) are never produced.
    /// </summary>
    public int[] Generate(ReadOnlySpan<int> prompt, int length, float temperature, Rng rng, IReadOnlyCollection<int>? excluded = null)
    {
        if (prompt.Length == 0) throw new ArgumentException("The prompt needs at least one token.", nameof(prompt));
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "The length must not be negative.");
        if (!(temperature >= 0f) || !float.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be 0 or more.");
        bool stateful = Model.NamedModules().Any(m => m.Module is RecurrentLayer { Stateful: true });
        bool wasTraining = Model.Training;
        Model.Eval();
        Model.ResetStates();
        var text = new List<int>(prompt.Length + length);
        foreach (int id in prompt) text.Add(id);
        var generated = new int[length];
        var probabilities = new float[vocabularySize];
        try
        {
            using var _ = GradMode.NoGrad();
            var input = Feed(text, 0);
            for (int i = 0; i < length; i++)
            {
                var logits = Model.Call(input);
                int v = logits.Shape[^1];
                if (v != vocabularySize) throw new InvalidOperationException($"The model gives {v} scores per step but the vocabulary has {vocabularySize} tokens.");
                var last = logits.Data.AsSpan(logits.Size - v, v);
                int next = Sample(last, temperature, rng, excluded, probabilities);
                generated[i] = next;
                text.Add(next);
                input = stateful ? Feed(text, text.Count - 1) : Feed(text, 0);
            }
        }
        finally
        {
            Model.ResetStates();
            Model.Train(wasTraining);
        }
        return generated;
    }

    /// <summary>Token ids text[from..] as a (1, T) batch.</summary>
    private static Tensor Feed(List<int> text, int from)
    {
        var ids = new float[text.Count - from];
        for (int i = 0; i < ids.Length; i++) ids[i] = text[from + i];
        return new Tensor(ids, 1, ids.Length);
    }

    private static int Sample(ReadOnlySpan<float> logits, float temperature, Rng rng, IReadOnlyCollection<int>? excluded, float[] p)
    {
        int best = -1;
        float max = float.NegativeInfinity;
        for (int j = 0; j < logits.Length; j++)
            if (excluded?.Contains(j) != true && logits[j] > max) (max, best) = (logits[j], j);
        if (best < 0) throw new InvalidOperationException("Every token is excluded; nothing can be sampled.");
        if (temperature == 0f) return best;
        double total = 0;
        for (int j = 0; j < logits.Length; j++)
        {
            p[j] = excluded?.Contains(j) == true ? 0f : MathF.Exp((logits[j] - max) / temperature);
            total += p[j];
        }
        double u = rng.NextFloat() * total, cumulative = 0;
        for (int j = 0; j < logits.Length; j++)
        {
            cumulative += p[j];
            if (u < cumulative && p[j] > 0f) return j;
        }
        return best;
    }
}
