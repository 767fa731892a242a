namespace Loom.Cli;

/// <summary>An error in what the user asked for, reported as one line without a stack trace.</summary>
internal sealed class UserException(string message) : Exception(message);
