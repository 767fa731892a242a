namespace Loom.Data;

/// <summary>
/// What a data set is for and what a model's output means, one enum for corpora, specs, models and recipes: it
/// decides the shape of the samples' targets and of the model's output.
/// </summary>
public enum TaskKind
{
    /// <summary>One class per sample: target () a class index, output (N, classes).</summary>
    Classify,

    /// <summary>One class per step (a tagger, e.g. parts of speech): targets (T) class indices, output (N, T, classes).</summary>
    Tag,

    /// <summary>The next token at every step of a running text: targets (T) the input ids shifted by one, output (N, T, vocabulary size).</summary>
    LanguageModel,

    /// <summary>
    /// Speech to text with CTC: samples (T, features) frames of variable length, targets (S) character ids padded with
    /// <see cref="IDataset.IgnoreTarget"/>, output (N, T', characters) scores per output frame (T' ≤ T when the model
    /// strides in time); no alignment between frames and characters is given.
    /// </summary>
    Transcribe,
}
