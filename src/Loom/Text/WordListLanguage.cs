namespace Loom.Text;

/// <summary>
/// One language of the word-list language identification task: its name (the class name), the file names its
/// word list goes by in <c>/usr/share/dict</c> (the first that exists is read) and the Debian package that installs it.
/// </summary>
public sealed record WordListLanguage(string Language, string[] FileNames, string Package);

/// <summary>A word list to read: the language (class name) and the file, one word a line, UTF-8.</summary>
public sealed record WordListFile(string Language, string Path);
