namespace Loom.Text;

/// <summary>What a text corpus is for, which decides the shape of its samples and targets.</summary>
public enum TextTaskKind
{
    /// <summary>Predict each next token of a running text: inputs (T) ids, targets (T) the same ids shifted by one.</summary>
    LanguageModel,

    /// <summary>One label per document: inputs (T) ids, target () a class index.</summary>
    Classification,

    /// <summary>One label per token (part of speech): inputs (T) ids, targets (T) class indices.</summary>
    Tagging,
}
