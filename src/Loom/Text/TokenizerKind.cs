namespace Loom.Text;

/// <summary>How <see cref="Tokenizer"/> cuts text into tokens.</summary>
public enum TokenizerKind
{
    /// <summary>Every UTF-16 code unit is a token, case and white space included (character-level language models).</summary>
    Char,

    /// <summary>Lower-cased words (runs of letters and digits, inner apostrophes kept) and single punctuation marks; white space is dropped.</summary>
    Word,
}
