namespace Loom.Cli.Compare;

/// <summary>
/// The five tasks of <c>loom compare</c>, each with CNN and RNN contestants of comparable size (see the models'
/// documentation in <see cref="Models.ModelZoo"/>).
/// </summary>
internal static class CompareTasks
{
    public static IReadOnlyList<CompareTask> All { get; } =
    [
        new("fashion", "Fashion-MNIST: 10-class image classification", "fashion-mnist", "fashion-mnist-mini", CompareMetric.Accuracy, "images",
            [
                new("lenet", "CNN", 1e-3f),
                new("fashion-cnn", "CNN", 1e-3f),
                new("row-gru", "RNN", 2e-3f),
                new("row-lstm", "RNN", 2e-3f),
                new("hybrid-cnn-lstm", "hybrid", 1e-3f),
            ],
            Epochs: 10, MiniEpochs: 4, BatchSize: 64),
        new("spam", "SpamAssassin: spam or ham, word level", "spam-assassin", "spam-assassin-mini", CompareMetric.Accuracy, "mails",
            [
                new("text-cnn", "CNN", 1e-3f),
                new("lstm-classifier", "RNN", 1e-3f),
                new("gru-classifier", "RNN", 1e-3f),
                new("bigru-classifier", "RNN", 1e-3f),
            ],
            Epochs: 8, MiniEpochs: 8, BatchSize: 32, SequenceLength: 200),
        new("pos", "Brown: part-of-speech tagging, 188 base tags", "brown", "brown-mini", CompareMetric.Accuracy, "tokens",
            [
                new("cnn-tagger", "CNN", 3e-3f),
                new("bilstm-tagger", "RNN", 3e-3f),
                new("bigru-tagger", "RNN", 3e-3f),
            ],
            Epochs: 8, MiniEpochs: 4, BatchSize: 64, SequenceLength: 100),
        new("langid", "Word lists: which of six languages is a word in, character level", "langid", "langid", CompareMetric.Accuracy, "words",
            [
                new("char-cnn-classifier", "CNN", 2e-3f),
                new("char-gru-classifier", "RNN", 2e-3f),
            ],
            Epochs: 10, MiniEpochs: 5, BatchSize: 64, SequenceLength: Loom.Text.LanguageIdentification.MaxWordLength),
        new("charlm", "Moby-Dick: character language model", "moby-dick", "moby-dick-mini", CompareMetric.BitsPerChar, "characters",
            [
                new("dilated-cnn-lm", "CNN", 2e-3f),
                new("char-lstm", "RNN", 2e-3f),
                new("char-gru", "RNN", 2e-3f),
            ],
            Epochs: 5, MiniEpochs: 2, BatchSize: 32, ClipGrad: 5f, SequenceLength: 100),
        new("speech", "Spoken phrases: speech to text with CTC, voices never heard in training", "spoken-phrases", "spoken-phrases-mini", CompareMetric.WordErrorRate, "clips",
            [
                new("speech-cnn", "CNN", 2e-3f),
                new("speech-bilstm", "RNN", 2e-3f),
                new("speech-crnn", "hybrid", 2e-3f),
            ],
            Epochs: 10, MiniEpochs: 6, BatchSize: 32, ClipGrad: 5f),
    ];

    public static IEnumerable<string> Names => All.Select(t => t.Name);

    public static CompareTask Get(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new UserException($"Unknown task '{name}' (known: {string.Join(", ", Names)}).");
}
