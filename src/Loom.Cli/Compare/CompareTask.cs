namespace Loom.Cli.Compare;

/// <summary>
/// One task of <c>loom compare</c>: its data (full and embedded sample), its CNN and RNN contestants, the metric and
/// the training settings every contestant shares.
/// </summary>
/// <param name="Name">The --task name.</param>
/// <param name="Title">One line for reports.</param>
/// <param name="Data">Data set name for the full run.</param>
/// <param name="MiniData">Data set name with --mini (the embedded sample; for langid a smaller draw of the same lists).</param>
/// <param name="Metric">What is ranked.</param>
/// <param name="Unit">What one held-out prediction is ("images", "mails", "tokens", "words", "characters"), for throughput.</param>
/// <param name="Models">The contestants, in table order.</param>
/// <param name="Epochs">Epochs of a full run unless --epochs or --budget says otherwise.</param>
/// <param name="MiniEpochs">Epochs with --mini unless told otherwise.</param>
/// <param name="BatchSize">Samples per batch (for a language model: parallel streams).</param>
/// <param name="ClipGrad">Global gradient-norm clip, or null.</param>
/// <param name="SequenceLength">Text: steps per sample (language model chunk, or longest classified/tagged sequence).</param>
/// <param name="MinCount">Text: vocabulary count cut-off (null: 1 for characters, 2 for words).</param>
/// <param name="MaxVocabulary">Word models: the largest vocabulary.</param>
internal sealed record CompareTask(
    string Name,
    string Title,
    string Data,
    string MiniData,
    CompareMetric Metric,
    string Unit,
    IReadOnlyList<CompareModel> Models,
    int Epochs,
    int MiniEpochs,
    int BatchSize,
    float? ClipGrad = null,
    int SequenceLength = 200,
    int? MinCount = null,
    int MaxVocabulary = 20000)
{
    /// <summary>Better is higher (accuracy) or lower (bits per character).</summary>
    public bool HigherIsBetter => Metric == CompareMetric.Accuracy;

    /// <summary>The metric's name in tables.</summary>
    public string MetricName => Metric switch
    {
        CompareMetric.Accuracy => Unit == "tokens" ? "token accuracy" : "accuracy",
        CompareMetric.WordErrorRate => "WER (greedy)",
        _ => "bits/char",
    };

    /// <summary>Whether the metric is a share, printed as a percentage (accuracy, error rates).</summary>
    public bool IsPercentage => Metric != CompareMetric.BitsPerChar;
}
