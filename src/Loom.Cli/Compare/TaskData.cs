using Loom.Recipes;
using Loom.Data;
using Loom.Models;
using Loom.Serialization;
using Loom.Text;

namespace Loom.Cli.Compare;

/// <summary>
/// The data of one comparison, loaded once and shared by every contestant: the same split, the same
/// vocabulary (built from the training split), the same held-out set.
/// </summary>
internal sealed class TaskData
{
    /// <summary>Words drawn per language for <c>--task langid --mini</c>: 480 for training and 120 for testing each.</summary>
    public const int LangidMiniWords = 600;

    private readonly TrainTestSets? _images;

    private TaskData(CompareTask task, string name, TextCorpus? corpus, TrainTestSets? images)
    {
        Task = task;
        Name = name;
        Corpus = corpus;
        _images = images;
    }

    public CompareTask Task { get; }

    /// <summary>The data set's name as reports show it.</summary>
    public string Name { get; }

    /// <summary>The text corpus (text tasks).</summary>
    public TextCorpus? Corpus { get; }

    /// <summary>Training samples in the corpus's unit (images, documents, sentences, words, characters).</summary>
    public int TrainCount => Corpus?.TrainCount ?? _images!.Train.Count;

    /// <summary>The encoded sets of an image or speech task (null for text, which each model encodes with its own vocabulary).</summary>
    public TrainTestSets? Sets => _images;

    /// <summary>Held-out samples in the same unit.</summary>
    public int TestCount => Corpus?.TestCount ?? _images!.Test.Count;

    /// <summary>
    /// Loads the task's data: the embedded sample with <paramref name="mini"/>, and only the first
    /// <paramref name="trainSamples"/> training samples (a seeded random choice, in their original order; for a
    /// language model the first characters) when given.
    /// </summary>
    public static TaskData Load(CompareTask task, bool mini, string? dataDir, int? trainSamples, int seed)
    {
        string name = mini ? task.MiniData : task.Data;
        if (!TextCorpora.Contains(name))
        {
            // Speech: every contestant reads the same features (ModelZoo.SpeechFeatures), made once for all of them.
            var sets = task.Metric == CompareMetric.WordErrorRate
                ? SpeechData.Load(ModelZoo.Build(task.Models[0].Name).Spec, name, dataDir)
                : DataSets.Load(name, dataDir);
            if (trainSamples is int k && k < sets.Train.Count)
            {
                var keep = new Rng((ulong)seed).Permutation(sets.Train.Count)[..k];
                Array.Sort(keep);
                sets = sets with { Train = SubsetDataset.Of(sets.Train, keep) };
            }
            return new TaskData(task, name, null, sets);
        }
        TextCorpus corpus;
        try
        {
            corpus = task.Name == "langid" && mini
                ? LanguageIdentification.Load(dataDir, LangidMiniWords)
                : TextCorpora.Load(name, dataDir);
        }
        catch (ArgumentException e) { throw new UserException(e.Message); }
        if (trainSamples is int n && n < corpus.TrainCount) corpus = Shrink(corpus, n, seed);
        return new TaskData(task, corpus.Name, corpus, null);
    }

    /// <summary><paramref name="model"/> built and sized for this data, and the train/test sets encoded for it.</summary>
    public (BuiltModel Built, TrainTestSets Sets) Prepare(CompareModel model)
    {
        if (Corpus is null)
        {
            var image = ModelZoo.Build(model.Name);
            DataSets.CheckFits(image.Spec, _images!.Train, Name);
            return (image with { Spec = image.Spec with { ClassNames = _images.ClassNames } }, _images);
        }
        var built = TextModels.NewModel(model.Name, Corpus, new TextSizing(Task.SequenceLength, Task.SequenceLength, Task.MinCount, Task.MaxVocabulary));
        return (built, TextModels.Encode(built.Spec, Corpus, Task.BatchSize));
    }

    private static TextCorpus Shrink(TextCorpus corpus, int n, int seed)
    {
        List<T> Pick<T>(IReadOnlyList<T> items)
        {
            var keep = new Rng((ulong)seed).Permutation(items.Count)[..n];
            Array.Sort(keep);
            return keep.Select(i => items[i]).ToList();
        }
        return corpus.Kind switch
        {
            TaskKind.LanguageModel => TextCorpus.LanguageModel(corpus.Name, corpus.Description, corpus.Location, corpus.Tokenizer, corpus.TrainText[..n], corpus.TestText),
            TaskKind.Classify => TextCorpus.Classification(corpus.Name, corpus.Description, corpus.Location, corpus.Tokenizer, corpus.ClassNames, Pick(corpus.LabeledTrain), corpus.LabeledTest),
            _ => TextCorpus.Tagging(corpus.Name, corpus.Description, corpus.Location, corpus.ClassNames, Pick(corpus.TaggedTrain), corpus.TaggedTest),
        };
    }
}
