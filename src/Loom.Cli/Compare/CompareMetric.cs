namespace Loom.Cli.Compare;

/// <summary>What a comparison ranks by.</summary>
internal enum CompareMetric
{
    /// <summary>Held-out accuracy (per sample, or per token for tagging); higher is better.</summary>
    Accuracy,

    /// <summary>Held-out cross-entropy in bits per character; lower is better.</summary>
    BitsPerChar,

    /// <summary>Held-out word error rate of greedy transcripts; lower is better.</summary>
    WordErrorRate,
}
