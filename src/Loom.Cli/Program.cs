using System.CommandLine;
using Loom.Cli;
using Loom.Cli.Commands;

var root = new RootCommand("loom — convolutional and recurrent neural networks in pure C#.");
root.Options.Add(CliOptions.Verbose);
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(SummaryCommand.Create());
root.Subcommands.Add(DataCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
