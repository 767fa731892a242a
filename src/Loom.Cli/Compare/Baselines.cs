using Loom.Data;
using Loom.Text;

namespace Loom.Cli.Compare;

/// <summary>
/// The reference figures every contestant should beat, measured on the task's own split: the majority class,
/// the most frequent tag of each word, a unigram character model, and naive Bayes for text classification.
/// </summary>
internal static class Baselines
{
    public static List<Baseline> Measure(TaskData data)
    {
        var list = new List<Baseline>();
        var corpus = data.Corpus;
        if (data.Sets?.Test is Speech.SpeechFeatureDataset speech)
        {
            list.Add(MostFrequentPhrase(data.Sets.Train, speech));
            return list;
        }
        if (corpus is null)
        {
            var (train, test, names) = LabelsOfImages(data);
            list.Add(Majority(train, test, names));
            return list;
        }
        switch (corpus.Kind)
        {
            case TaskKind.Classify:
                list.Add(Majority(corpus.LabeledTrain.Select(d => d.Label).ToArray(), corpus.LabeledTest.Select(d => d.Label).ToArray(), corpus.ClassNames));
                string features = corpus.Tokenizer == TokenizerKind.Char ? "character 1–3-grams" : "words";
                list.Add(new Baseline($"naive Bayes ({features})", NaiveBayes.Accuracy(corpus.LabeledTrain, corpus.LabeledTest, corpus.ClassNames.Count, corpus.Tokenizer)));
                break;
            case TaskKind.Tag:
                list.Add(MostFrequentTag(corpus));
                break;
            default:
                list.Add(Unigram(corpus));
                break;
        }
        return list;
    }

    private static (int[] Train, int[] Test, string[]? Names) LabelsOfImages(TaskData data)
    {
        var (_, sets) = data.Prepare(data.Task.Models[0]);
        return (Labels(sets.Train), Labels(sets.Test), sets.ClassNames);

        static int[] Labels(IDataset set)
        {
            var features = new float[Loom.ShapeUtil.CheckedSize(set.SampleShape)];
            var target = new float[1];
            var labels = new int[set.Count];
            for (int i = 0; i < labels.Length; i++) { set.Get(i, features, target); labels[i] = (int)target[0]; }
            return labels;
        }
    }

    /// <summary>Always transcribe the most frequent training phrase: the word error rate of knowing the phrases and not listening.</summary>
    private static Baseline MostFrequentPhrase(IDataset train, Speech.SpeechFeatureDataset test)
    {
        var transcripts = train switch
        {
            Speech.SpeechFeatureDataset s => s.Transcripts,
            _ => throw new InvalidOperationException("A speech task's training set is speech features."),
        };
        string phrase = transcripts.GroupBy(t => t).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
        var rates = new Speech.ErrorRates();
        foreach (var said in test.Transcripts) rates.Add(said, phrase);
        return new Baseline($"the most frequent training phrase (\"{phrase}\")", rates.Wer);
    }

    /// <summary>Always answer the most frequent training class.</summary>
    private static Baseline Majority(int[] train, int[] test, IReadOnlyList<string>? names)
    {
        var groups = train.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).ToList();
        int majority = groups[0].Key;
        double accuracy = test.Length == 0 ? double.NaN : (double)test.Count(l => l == majority) / test.Length;
        string label = names is not null && majority < names.Count ? names[majority] : majority.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // With balanced classes the "majority" is an arbitrary pick and the figure is chance.
        bool tie = groups.Count > 1 && groups[1].Count() == groups[0].Count();
        return new Baseline(tie ? "chance (classes balanced)" : $"majority class ({label})", accuracy);
    }

    /// <summary>Each word's most frequent training tag; a word never seen in training gets the most frequent tag overall.</summary>
    private static Baseline MostFrequentTag(TextCorpus corpus)
    {
        var byWord = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var overall = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in corpus.TaggedTrain)
            for (int i = 0; i < sentence.Words.Length; i++)
            {
                if (!byWord.TryGetValue(sentence.Words[i], out var tags)) byWord[sentence.Words[i]] = tags = new(StringComparer.Ordinal);
                tags[sentence.Tags[i]] = tags.GetValueOrDefault(sentence.Tags[i]) + 1;
                overall[sentence.Tags[i]] = overall.GetValueOrDefault(sentence.Tags[i]) + 1;
            }
        static string Top(Dictionary<string, int> counts) => counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;
        var best = byWord.ToDictionary(kv => kv.Key, kv => Top(kv.Value), StringComparer.Ordinal);
        string fallback = Top(overall);
        long correct = 0, total = 0;
        foreach (var sentence in corpus.TaggedTest)
            for (int i = 0; i < sentence.Words.Length; i++)
            {
                total++;
                if ((best.TryGetValue(sentence.Words[i], out var tag) ? tag : fallback) == sentence.Tags[i]) correct++;
            }
        return new Baseline($"most frequent tag of each word (unseen: {fallback})", total == 0 ? double.NaN : (double)correct / total);
    }

    /// <summary>Character frequencies of the training text (add-one smoothed over its characters and one unknown), scored on the held-out text.</summary>
    private static Baseline Unigram(TextCorpus corpus)
    {
        var counts = new Dictionary<char, long>();
        foreach (char c in corpus.TrainText) counts[c] = counts.GetValueOrDefault(c) + 1;
        double total = corpus.TrainText.Length + counts.Count + 1;
        double bits = 0;
        foreach (char c in corpus.TestText) bits -= Math.Log2((counts.GetValueOrDefault(c) + 1) / total);
        return new Baseline("character frequencies (unigram)", corpus.TestText.Length == 0 ? double.NaN : bits / corpus.TestText.Length);
    }
}
