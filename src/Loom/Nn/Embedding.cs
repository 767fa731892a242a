namespace Loom.Nn;

/// <summary>
/// A lookup table of learned vectors: indices (…) holding whole numbers in [0, numEmbeddings) →
/// (…, embeddingDim). Initialised N(0, 1) as PyTorch; the padding row starts at zero and never gets a gradient.
/// </summary>
public sealed class Embedding : Module
{
    public Parameter Weight { get; }   // (numEmbeddings, embeddingDim)
    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }

    /// <summary>The row that pads sequences (normalised to [0, numEmbeddings)), or null.</summary>
    public int? PaddingIdx { get; }

    /// <param name="paddingIdx">A row index; negative counts from the end, as PyTorch.</param>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentException($"Embedding: num_embeddings and embedding_dim must be positive, got {numEmbeddings} and {embeddingDim}.");
        if (paddingIdx is int p)
        {
            if (p < -numEmbeddings || p >= numEmbeddings)
                throw new ArgumentException($"Embedding: padding_idx {p} must be within [-{numEmbeddings}, {numEmbeddings}) for {numEmbeddings} embeddings.");
            PaddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        var w = Tensor.Normal(0f, 1f, [numEmbeddings, embeddingDim]);
        if (PaddingIdx is int pad) w.Data.AsSpan(pad * embeddingDim, embeddingDim).Clear();
        Weight = RegisterParameter("weight", w);
    }

    public override Tensor Forward(Tensor x) => Functional.Embedding(x, Weight, PaddingIdx, Label);

    /// <summary>With a padding index: the lengths of the (N, T) token sequences, as <see cref="PaddedLengths"/>.</summary>
    public override int[]? LengthsFromInput(Tensor x) => PaddingIdx is int pad ? PaddedLengths(x, pad) : null;

    /// <summary>
    /// For token ids (N, T) padded at the end: one past each row's last non-padding token, at least 1 (an
    /// all-padding row counts as one padding step, so every sequence has a state). Null when every row is full
    /// (or the ids are not (N, T)), so that the layers after take their faster fixed-length path.
    /// </summary>
    public static int[]? PaddedLengths(Tensor tokens, int paddingIndex)
    {
        if (tokens.Rank != 2) return null;
        int n = tokens.Shape[0], t = tokens.Shape[1];
        var lengths = new int[n];
        bool anyShort = false;
        float pad = paddingIndex;
        for (int i = 0; i < n; i++)
        {
            var row = tokens.Data.AsSpan(i * t, t);
            int len = t;
            while (len > 1 && row[len - 1] == pad) len--;
            lengths[i] = len;
            anyShort |= len < t;
        }
        return anyShort ? lengths : null;
    }

    protected override bool DescriptionIsFixed => true;

    public override string Describe() =>
        $"Embedding({NumEmbeddings}, {EmbeddingDim}{(PaddingIdx is int p ? $", padding_idx={p}" : "")})";
}
