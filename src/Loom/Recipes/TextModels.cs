using Loom.Data;
using Loom.Models;
using Loom.Serialization;
using Loom.Text;

namespace Loom.Recipes;

/// <summary>How new text models are sized; ignored when the model already has a vocabulary.</summary>
/// <param name="SequenceLength">Language models: tokens per training chunk (truncated BPTT length).</param>
/// <param name="MaxLength">Classifiers and taggers: tokens per sequence.</param>
/// <param name="MinCount">Keep tokens seen at least this often in the training split (null: 1 for characters, 2 for words).</param>
/// <param name="MaxVocabulary">Word models: the largest vocabulary.</param>
public sealed record TextSizing(int SequenceLength = 100, int MaxLength = 200, int? MinCount = null, int MaxVocabulary = 20000);

/// <summary>
/// Text data for a run: the vocabulary of a new built-in text model (built from the corpus's training split), or a
/// stand-in one to look at a model before training, and the train/test sets encoded for a model's task.
/// </summary>
public static class TextModels
{
    /// <summary>Built-in text model <paramref name="name"/> sized for <paramref name="corpus"/>: vocabulary from its training split.</summary>
    public static BuiltModel NewModel(string name, TextCorpus corpus, TextSizing sizing) => ModelZoo.Build(name, Inputs(name, corpus, sizing));

    /// <summary>What built-in text model <paramref name="name"/> is sized by when trained on <paramref name="corpus"/>.</summary>
    /// <exception cref="InvalidDataException">The model's task is not the corpus's.</exception>
    public static TextModelInputs Inputs(string name, TextCorpus corpus, TextSizing sizing)
    {
        var task = ModelZoo.TaskOf(name);
        CheckTask(name, task, corpus);
        int minCount = sizing.MinCount ?? (corpus.Tokenizer == TokenizerKind.Char ? 1 : 2);
        var vocabulary = Vocabulary.Build(corpus.TrainTokens(), minCount, corpus.Tokenizer == TokenizerKind.Char ? null : sizing.MaxVocabulary);
        int length = task == TaskKind.LanguageModel ? sizing.SequenceLength : sizing.MaxLength;
        return new TextModelInputs(corpus.Tokenizer, [.. vocabulary.Tokens], [.. corpus.ClassNames], length);
    }

    /// <summary>
    /// Stand-in inputs for looking at text model <paramref name="name"/> without data (a summary before training):
    /// <paramref name="vocabularySize"/> placeholder tokens, two classes (a language model predicts its vocabulary).
    /// </summary>
    public static TextModelInputs StandIn(string name, int vocabularySize, int sequenceLength)
    {
        if (vocabularySize < 3) throw new ArgumentException($"A vocabulary needs at least 3 tokens (padding, unknown and one more), got {vocabularySize}.");
        var tokens = new string[vocabularySize];
        tokens[0] = Vocabulary.PadToken;
        tokens[1] = Vocabulary.UnkToken;
        for (int i = 2; i < tokens.Length; i++) tokens[i] = $"<t{i}>";
        var task = ModelZoo.TaskOf(name);
        bool chars = name.StartsWith("char", StringComparison.Ordinal) || task == TaskKind.LanguageModel;
        return new TextModelInputs(chars ? TokenizerKind.Char : TokenizerKind.Word, tokens, ["class 0", "class 1"], sequenceLength);
    }

    /// <summary>Encodes the corpus's train and test splits for <paramref name="spec"/> (its vocabulary, classes and length).</summary>
    /// <exception cref="InvalidDataException">The model has no vocabulary, or its task is not the corpus's.</exception>
    public static TrainTestSets Encode(ModelSpec spec, TextCorpus corpus, int batchSize)
    {
        if (spec.Vocabulary is null)
            throw new InvalidDataException($"Model '{spec.Name}' has no vocabulary, so it cannot read text; start from a built-in text model ({string.Join(", ", ModelZoo.TextNames)}).");
        CheckTask(spec.Name, spec.Task, corpus);
        var vocabulary = Vocabulary.FromTokens(spec.Vocabulary);
        int length = spec.InputShape[0];
        string[]? classNames = spec.ClassNames;
        try
        {
            switch (spec.Task)
            {
                case TaskKind.LanguageModel:
                    return new TrainTestSets(corpus.Name, corpus.EncodeLanguageModel(corpus.TrainText, vocabulary, batchSize, length),
                        corpus.EncodeLanguageModel(corpus.TestText, vocabulary, batchSize, length), null);
                case TaskKind.Tag:
                    var tags = classNames ?? [.. corpus.ClassNames];
                    return new TrainTestSets(corpus.Name, corpus.EncodeTagging(corpus.TaggedTrain, vocabulary, tags, length),
                        corpus.EncodeTagging(corpus.TaggedTest, vocabulary, tags, length), tags);
                default:
                    return new TrainTestSets(corpus.Name, corpus.EncodeClassification(corpus.LabeledTrain, vocabulary, length),
                        corpus.EncodeClassification(corpus.LabeledTest, vocabulary, length), classNames ?? [.. corpus.ClassNames]);
            }
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{corpus.Name}: {e.Message}"); }
    }

    private static void CheckTask(string model, TaskKind task, TextCorpus corpus)
    {
        var expected = corpus.Kind;
        if (task != expected)
        {
            var fitting = ModelZoo.TextNames.Where(n => ModelZoo.TaskOf(n) == expected);
            throw new InvalidDataException($"Model '{model}' is a {Describe(task)} but '{corpus.Name}' is data for a {Describe(expected)}; try {string.Join(", ", fitting)}.");
        }
    }

    private static string Describe(TaskKind task) => task switch
    {
        TaskKind.LanguageModel => "language model",
        TaskKind.Tag => "tagger",
        _ => "classifier",
    };
}
