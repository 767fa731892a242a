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

    public override string Describe() =>
        $"Embedding({NumEmbeddings}, {EmbeddingDim}{(PaddingIdx is int p ? $", padding_idx={p}" : "")})";
}
