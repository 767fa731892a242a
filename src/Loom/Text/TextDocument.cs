namespace Loom.Text;

/// <summary>A named piece of a longer text, e.g. one chapter of a book.</summary>
/// <param name="Name">The file name it came from, e.g. "chapter_1.txt".</param>
/// <param name="Text">Its text, line ends as "\n".</param>
public sealed record TextDocument(string Name, string Text);
