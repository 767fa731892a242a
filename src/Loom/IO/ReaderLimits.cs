namespace Loom.IO;

/// <summary>
/// The sizes Loom's readers accept from a file before they allocate anything for it. Files come from strangers
/// (models shared online, data sets, specs), and a header is a claim, not a fact: a 28-byte gzip file may claim two
/// billion elements, a 200-byte spec a 30000×30000 input. Every reader checks each claim against the file's own size
/// (where it has one) and against these limits first, and rejects what exceeds them with an
/// <see cref="InvalidDataException"/> that names the limit. The defaults are far above every model and data set
/// Loom ships; a caller who means to read something larger passes a raised copy, e.g.
/// <c>ReaderLimits.Default with { MaxTotalParameters = 2_000_000_000 }</c>.
/// </summary>
public sealed record ReaderLimits
{
    /// <summary>The limits every reader uses when none are passed.</summary>
    public static ReaderLimits Default { get; } = new();

    /// <summary>Tensors in one safetensors file (a large language model has a few thousand).</summary>
    public int MaxTensors { get; init; } = 65_536;

    /// <summary>Dimensions of one tensor, of a spec's input shape and of an IDX array.</summary>
    public int MaxRank { get; init; } = 8;

    /// <summary>Elements of one tensor (2^28 float32 values: 1 GiB).</summary>
    public long MaxElementsPerTensor { get; init; } = 1L << 28;

    /// <summary>Elements of all tensors of a file together, and parameters of a model a spec builds.</summary>
    public long MaxTotalParameters { get; init; } = 1L << 29;

    /// <summary>Bytes of a safetensors JSON header and of a model spec or vocabulary JSON text.</summary>
    public int MaxJsonBytes { get; init; } = 64 << 20;

    /// <summary>Nesting depth of any JSON Loom reads (a spec nests layers in Residual and Concat).</summary>
    public int MaxJsonDepth { get; init; } = 64;

    /// <summary>Layers of a model spec, counting those nested in Residual and Concat.</summary>
    public int MaxLayers { get; init; } = 100_000;

    /// <summary>Elements of one sample of a spec's input shape (a 3×1024×1024 image is 3.1 M).</summary>
    public long MaxInputElements { get; init; } = 1L << 24;

    /// <summary>
    /// Upper bound on the elements of one layer's output in the one-sample check pass of <c>ModelSpec.Build</c>,
    /// estimated before building as (input elements, grown by the largest padding) × (the widest layer).
    /// </summary>
    public long MaxActivationElements { get; init; } = 1L << 27;

    /// <summary>Tokens of a vocabulary.</summary>
    public int MaxVocabulary { get; init; } = 4_000_000;

    /// <summary>Bytes of an IDX array's data, raw or decompressed (Fashion-MNIST's training images are 47 MB).</summary>
    public long MaxIdxBytes { get; init; } = 1L << 31;

    /// <summary>Pixels of an image read for a prediction (checked from its header before it is decoded).</summary>
    public long MaxImagePixels { get; init; } = 1L << 26;

    /// <summary>
    /// Bytes of a WAV file (2^30: 9.3 hours of 16 kHz 16-bit mono, 1.7 hours of CD stereo); its samples come out as
    /// one float array, so the file is read whole, and a larger one is rejected before it is.
    /// </summary>
    public long MaxWavBytes { get; init; } = 1L << 30;

    /// <summary>Whether a model whose weights hold NaN or ±Inf is rejected at load (it would answer every input with NaN).</summary>
    public bool RejectNonFiniteWeights { get; init; } = true;

    /// <summary>Throws when <paramref name="value"/> exceeds <paramref name="limit"/>, naming both and the property that raises it.</summary>
    internal static void Check(long value, long limit, string what, string property, string source)
    {
        if (value > limit)
            throw new InvalidDataException($"{source}: {what} is {value}, above the limit of {limit} (ReaderLimits.{property}; raise it to read such files).");
    }
}
