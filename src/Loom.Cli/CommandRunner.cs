using System.CommandLine;

namespace Loom.Cli;

/// <summary>
/// Runs a command body and turns failures into one readable line on stderr and a non-zero exit code;
/// stack traces only with --verbose.
/// </summary>
internal static class CommandRunner
{
    public static void SetAction(Command command, Func<ParseResult, int> body) =>
        command.SetAction(parse => Run(parse, body));

    private static int Run(ParseResult parse, Func<ParseResult, int> body)
    {
        bool verbose = parse.GetValue(CliOptions.Verbose);
        try
        {
            return body(parse);
        }
        catch (Exception e) when (e is UserException or IOException or InvalidDataException or ArgumentException
            or UnauthorizedAccessException or Training.TrainingDivergedException or InvalidOperationException or HttpRequestException
            or OperationCanceledException)
        {
            // One line, bounded, without control characters: messages quote file content (tags, names, decoder text).
            Console.Error.WriteLine($"error: {Loom.IO.ErrorText.Clean(e.Message, Loom.IO.ErrorText.MaxMessageLength)}");
            if (verbose) Console.Error.WriteLine(e);
            return e is OperationCanceledException ? 130 : 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {Loom.IO.ErrorText.Clean(e.Message, Loom.IO.ErrorText.MaxMessageLength)}");
            if (verbose) Console.Error.WriteLine(e);
            else Console.Error.WriteLine("(run again with --verbose for details)");
            return 2;
        }
    }
}
