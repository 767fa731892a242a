namespace Loom.Text;

/// <summary>A document with a class label.</summary>
/// <param name="Text">The text (for mail: the body, headers stripped).</param>
/// <param name="Label">The class index, e.g. 0 = ham, 1 = spam.</param>
/// <param name="Source">Where it came from, e.g. "spam-1/00001.7848dde101aa985090474a91ec93fcf0.txt", for messages and reports.</param>
public sealed record LabeledText(string Text, int Label, string Source);
