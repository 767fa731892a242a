using Loom.Data;
using Loom.Models;
using Loom.Serialization;
using Loom.Text;

namespace Loom.Cli;

/// <summary>
/// Text data for the CLI: a named corpus, the vocabulary (built from the training split for a new
/// model, taken from a saved one otherwise) and the encoded train/test sets the model's task needs.
/// </summary>
internal static class TextData
{
    /// <summary>How new text models are sized; ignored when the model already has a vocabulary.</summary>
    public sealed record Options(int SequenceLength, int MaxLength, int? MinCount, int MaxVocabulary);

    public static bool IsText(string data) => TextCorpora.Contains(data);

    public static TextCorpus Load(string data, string? dataDir)
    {
        try { return TextCorpora.Load(data, dataDir); }
        catch (ArgumentException e) { throw new UserException(e.Message); }
    }

    /// <summary>Built-in text model <paramref name="name"/> sized for <paramref name="corpus"/>: vocabulary from its training split.</summary>
    public static BuiltModel NewModel(string name, TextCorpus corpus, Options options)
    {
        var task = ModelZoo.TaskOf(name);
        CheckTask(name, task, corpus);
        int minCount = options.MinCount ?? (corpus.Tokenizer == TokenizerKind.Char ? 1 : 2);
        var vocabulary = Vocabulary.Build(corpus.TrainTokens(), minCount, corpus.Tokenizer == TokenizerKind.Char ? null : options.MaxVocabulary);
        int length = task == TaskKind.LanguageModel ? options.SequenceLength : options.MaxLength;
        return ModelZoo.Build(name, new TextModelInputs(corpus.Tokenizer, [.. vocabulary.Tokens], [.. corpus.ClassNames], length));
    }

    /// <summary>Encodes the corpus's train and test splits for <paramref name="spec"/> (its vocabulary, classes and length).</summary>
    public static DataSource.Sets Encode(ModelSpec spec, TextCorpus corpus, int batchSize)
    {
        if (spec.Vocabulary is null)
            throw new UserException($"Model '{spec.Name}' has no vocabulary, so it cannot read text; start from a built-in text model ({string.Join(", ", ModelZoo.TextNames)}).");
        CheckTask(spec.Name, spec.Task, corpus);
        var vocabulary = Vocabulary.FromTokens(spec.Vocabulary);
        int length = spec.InputShape[0];
        string[]? classNames = spec.ClassNames;
        try
        {
            switch (spec.Task)
            {
                case TaskKind.LanguageModel:
                    return new DataSource.Sets(corpus.Name, corpus.EncodeLanguageModel(corpus.TrainText, vocabulary, batchSize, length),
                        corpus.EncodeLanguageModel(corpus.TestText, vocabulary, batchSize, length), null);
                case TaskKind.Tag:
                    var tags = classNames ?? [.. corpus.ClassNames];
                    return new DataSource.Sets(corpus.Name, corpus.EncodeTagging(corpus.TaggedTrain, vocabulary, tags, length),
                        corpus.EncodeTagging(corpus.TaggedTest, vocabulary, tags, length), tags);
                default:
                    return new DataSource.Sets(corpus.Name, corpus.EncodeClassification(corpus.LabeledTrain, vocabulary, length),
                        corpus.EncodeClassification(corpus.LabeledTest, vocabulary, length), classNames ?? [.. corpus.ClassNames]);
            }
        }
        catch (ArgumentException e) { throw new UserException($"{corpus.Name}: {e.Message}"); }
    }

    private static void CheckTask(string model, TaskKind task, TextCorpus corpus)
    {
        var expected = corpus.Kind;
        if (task != expected)
        {
            var fitting = ModelZoo.TextNames.Where(n => ModelZoo.TaskOf(n) == expected);
            throw new UserException($"Model '{model}' is a {Describe(task)} but '{corpus.Name}' is data for a {Describe(expected)}; try {string.Join(", ", fitting)}.");
        }
    }

    private static string Describe(TaskKind task) => task switch
    {
        TaskKind.LanguageModel => "language model",
        TaskKind.Tag => "tagger",
        _ => "classifier",
    };
}
