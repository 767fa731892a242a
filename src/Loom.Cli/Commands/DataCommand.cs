using Loom.Recipes;
using System.CommandLine;
using Loom.Data;

namespace Loom.Cli.Commands;

/// <summary><c>loom data download|info NAME</c>: fetch a dataset into the cache, or say where it is and what it holds.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Download datasets or show what is available.");

        var name = new Argument<string>("name") { Description = "Dataset name (fashion-mnist)." };
        var dir = new Option<string?>("--dir") { Description = "Download into this folder instead of the user cache." };
        var download = new Command("download", "Download a dataset into the user cache (checksums verified).") { name, dir };
        CommandRunner.SetAction(download, parse =>
        {
            string n = parse.GetValue(name)!;
            if (n != "fashion-mnist") throw new UserException($"Only 'fashion-mnist' can be downloaded; '{n}' is {(n == "fashion-mnist-mini" ? "embedded in Loom already" : "not a known dataset")}.");
            string folder = FashionMnist.Download(parse.GetValue(dir));
            Console.WriteLine($"Fashion-MNIST is in {folder}");
            return 0;
        });

        var infoName = new Argument<string>("name") { Description = "Dataset name (fashion-mnist-mini, fashion-mnist, moby-dick, brown, spam-assassin, or their -mini samples)." };
        var dataDir = CliOptions.DataDir();
        var info = new Command("info", "Show where a dataset is found and how many samples it has.") { infoName, dataDir };
        CommandRunner.SetAction(info, parse =>
        {
            string dataName = parse.GetValue(infoName)!;
            if (Text.TextCorpora.Contains(dataName))
            {
                var corpus = Text.TextCorpora.Load(dataName, parse.GetValue(dataDir));
                string unit = corpus.Kind switch { Data.TaskKind.LanguageModel => "characters", Data.TaskKind.Tag => "sentences", _ => "documents" };
                Console.WriteLine($"{corpus.Name} ({corpus.Location}): {corpus.Description}; {corpus.TrainCount:N0} train / {corpus.TestCount:N0} test {unit}");
                if (corpus.Kind == Data.TaskKind.Classify)
                {
                    string Counts(IReadOnlyList<Text.LabeledText> docs) => string.Join(", ", corpus.ClassNames.Select((c, i) => $"{docs.Count(d => d.Label == i):N0} {c}"));
                    Console.WriteLine($"train: {Counts(corpus.LabeledTrain)}; test: {Counts(corpus.LabeledTest)}");
                }
                else if (corpus.ClassNames.Count > 0) Console.WriteLine($"{corpus.ClassNames.Count} classes: " + string.Join(", ", corpus.ClassNames.Take(40)) + (corpus.ClassNames.Count > 40 ? ", …" : ""));
                return 0;
            }
            var sets = DataSets.Load(dataName, parse.GetValue(dataDir));
            Console.WriteLine($"{sets.Name}: {sets.Train.Count:N0} train / {sets.Test.Count:N0} test samples of shape ({string.Join(", ", sets.Train.SampleShape)}), {sets.Train.ClassCount} classes");
            if (sets.ClassNames is not null) Console.WriteLine("classes: " + string.Join(", ", sets.ClassNames));
            return 0;
        });

        command.Subcommands.Add(download);
        command.Subcommands.Add(info);
        return command;
    }
}
