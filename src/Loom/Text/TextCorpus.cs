using Loom.Data;

namespace Loom.Text;

/// <summary>
/// A loaded text corpus with its fixed train/test split, ready to be encoded into data sets. Its
/// <see cref="Kind"/> says which split it holds: running text (<see cref="TrainText"/>, <see cref="TestText"/>)
/// for a language model, labelled documents (<see cref="LabeledTrain"/>, <see cref="LabeledTest"/>) for
/// classification, or tagged sentences (<see cref="TaggedTrain"/>, <see cref="TaggedTest"/>) for tagging;
/// asking for another kind's split throws.
/// </summary>
/// <remarks>
/// The usual path: a vocabulary of the training split only, <c>Vocabulary.Build(corpus.TrainTokens(), minCount, maxSize)</c>
/// (test tokens it has not seen become <see cref="Vocabulary.Unk"/>, as at prediction time), then the
/// data sets with <see cref="Encode"/> or the <c>Encode…</c> helper of the kind. The vocabulary must be
/// saved with the model. Build your own corpus with <see cref="LanguageModel"/>, <see cref="Classification"/>
/// or <see cref="Tagging"/>.
/// </remarks>
public sealed class TextCorpus
{
    private readonly string? _trainText, _testText;
    private readonly IReadOnlyList<LabeledText>? _labeledTrain, _labeledTest;
    private readonly IReadOnlyList<TaggedSentence>? _taggedTrain, _taggedTest;

    private TextCorpus(string name, string description, TaskKind kind, TokenizerKind tokenizer, string location, IReadOnlyList<string> classNames,
        string? trainText = null, string? testText = null,
        IReadOnlyList<LabeledText>? labeledTrain = null, IReadOnlyList<LabeledText>? labeledTest = null,
        IReadOnlyList<TaggedSentence>? taggedTrain = null, IReadOnlyList<TaggedSentence>? taggedTest = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(classNames);
        Name = name;
        Description = description;
        Kind = kind;
        Tokenizer = tokenizer;
        Location = location;
        ClassNames = classNames;
        (_trainText, _testText) = (trainText, testText);
        (_labeledTrain, _labeledTest) = (labeledTrain, labeledTest);
        (_taggedTrain, _taggedTest) = (taggedTrain, taggedTest);
    }

    /// <summary>A language-model corpus: a training and a held-out text, cut into tokens by <paramref name="tokenizer"/>.</summary>
    /// <param name="name">Registry name.</param>
    /// <param name="description">One line for listings.</param>
    /// <param name="location">Folder read, or "embedded".</param>
    /// <param name="tokenizer">How the text is cut into tokens.</param>
    /// <param name="trainText">The training text.</param>
    /// <param name="testText">The held-out text.</param>
    public static TextCorpus LanguageModel(string name, string description, string location, TokenizerKind tokenizer, string trainText, string testText)
    {
        ArgumentNullException.ThrowIfNull(trainText);
        ArgumentNullException.ThrowIfNull(testText);
        return new(name, description, TaskKind.LanguageModel, tokenizer, location, [], trainText: trainText, testText: testText);
    }

    /// <summary>A classification corpus: labelled training and test documents (labels index <paramref name="classNames"/>).</summary>
    /// <param name="name">Registry name.</param>
    /// <param name="description">One line for listings.</param>
    /// <param name="location">Folder read, or "embedded".</param>
    /// <param name="tokenizer">How a document is cut into tokens.</param>
    /// <param name="classNames">Class names by label.</param>
    /// <param name="train">Training documents.</param>
    /// <param name="test">Test documents.</param>
    public static TextCorpus Classification(string name, string description, string location, TokenizerKind tokenizer,
        IReadOnlyList<string> classNames, IReadOnlyList<LabeledText> train, IReadOnlyList<LabeledText> test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        return new(name, description, TaskKind.Classify, tokenizer, location, classNames, labeledTrain: train, labeledTest: test);
    }

    /// <summary>
    /// A tagging corpus: training and test sentences whose tags are among <paramref name="tagNames"/>. Words keep
    /// their case (capitals tell proper nouns and sentence starts); a word the vocabulary lacks is read as its
    /// <see cref="WordSignature"/>. New text is cut into words
    /// with <see cref="TokenizerKind.Word"/>.
    /// </summary>
    /// <param name="name">Registry name.</param>
    /// <param name="description">One line for listings.</param>
    /// <param name="location">Folder read, or "embedded".</param>
    /// <param name="tagNames">The tags by id (the classes).</param>
    /// <param name="train">Training sentences.</param>
    /// <param name="test">Test sentences.</param>
    public static TextCorpus Tagging(string name, string description, string location, IReadOnlyList<string> tagNames,
        IReadOnlyList<TaggedSentence> train, IReadOnlyList<TaggedSentence> test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        return new(name, description, TaskKind.Tag, TokenizerKind.Word, location, tagNames, taggedTrain: train, taggedTest: test);
    }

    /// <summary>Registry name, e.g. "moby-dick".</summary>
    public string Name { get; }

    /// <summary>One line for listings.</summary>
    public string Description { get; }

    /// <summary>The task the corpus is for, and so which split it holds.</summary>
    public TaskKind Kind { get; }

    /// <summary>How text of this corpus is cut into tokens (for tagging: how a new sentence is cut into words).</summary>
    public TokenizerKind Tokenizer { get; }

    /// <summary>The folder the files were read from, or "embedded".</summary>
    public string Location { get; }

    /// <summary>The class names by index: ["ham", "spam"], the sorted tags, or empty for a language model (whose classes are the vocabulary).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The training text of a <see cref="TaskKind.LanguageModel"/> corpus.</summary>
    public string TrainText => _trainText ?? throw WrongKind("a training text");

    /// <summary>The held-out text of a <see cref="TaskKind.LanguageModel"/> corpus.</summary>
    public string TestText => _testText ?? throw WrongKind("a test text");

    /// <summary>The training documents of a <see cref="TaskKind.Classify"/> corpus.</summary>
    public IReadOnlyList<LabeledText> LabeledTrain => _labeledTrain ?? throw WrongKind("labelled documents");

    /// <summary>The test documents of a <see cref="TaskKind.Classify"/> corpus.</summary>
    public IReadOnlyList<LabeledText> LabeledTest => _labeledTest ?? throw WrongKind("labelled documents");

    /// <summary>The training sentences of a <see cref="TaskKind.Tag"/> corpus.</summary>
    public IReadOnlyList<TaggedSentence> TaggedTrain => _taggedTrain ?? throw WrongKind("tagged sentences");

    /// <summary>The test sentences of a <see cref="TaskKind.Tag"/> corpus.</summary>
    public IReadOnlyList<TaggedSentence> TaggedTest => _taggedTest ?? throw WrongKind("tagged sentences");

    /// <summary>Training samples in the corpus's unit: characters of text (language model), documents, or sentences.</summary>
    public int TrainCount => Kind switch
    {
        TaskKind.LanguageModel => TrainText.Length,
        TaskKind.Classify => LabeledTrain.Count,
        _ => TaggedTrain.Count,
    };

    /// <summary>Test samples in the unit of <see cref="TrainCount"/>.</summary>
    public int TestCount => Kind switch
    {
        TaskKind.LanguageModel => TestText.Length,
        TaskKind.Classify => LabeledTest.Count,
        _ => TaggedTest.Count,
    };

    /// <summary>
    /// Every token of the training split, repeats included, as the vocabulary sees them. For tagging, each word
    /// and its <see cref="WordSignature"/>, so that a vocabulary with a count cut-off keeps the frequent words and
    /// every signature, and rare training words are learned as their signatures.
    /// </summary>
    public IEnumerable<string> TrainTokens()
    {
        switch (Kind)
        {
            case TaskKind.LanguageModel:
                return Loom.Text.Tokenizer.Tokenize(TrainText, Tokenizer);
            case TaskKind.Classify:
                return LabeledTrain.SelectMany(document => Loom.Text.Tokenizer.Tokenize(document.Text, Tokenizer));
            default:
                return TaggedTrain.SelectMany(sentence => sentence.Words.SelectMany(word => (string[])[word, WordSignature.Of(word)]));
        }
    }

    /// <summary>A vocabulary of the training tokens: <see cref="Vocabulary.Build"/> over <see cref="TrainTokens"/>.</summary>
    public Vocabulary BuildVocabulary(int minCount = 1, int? maxSize = null) => Vocabulary.Build(TrainTokens(), minCount, maxSize);

    /// <summary>The ids of the tokens of <paramref name="text"/> cut by <see cref="Tokenizer"/> (unknown → <see cref="Vocabulary.Unk"/>).</summary>
    public int[] EncodeText(string text, Vocabulary vocabulary) => Loom.Text.Tokenizer.Encode(text, Tokenizer, vocabulary);

    /// <summary>
    /// <paramref name="text"/> as a <see cref="LanguageModelStream"/> of <paramref name="batchSize"/> parallel streams
    /// cut into samples of <paramref name="sequenceLength"/> tokens; read it unshuffled with exactly that batch size.
    /// </summary>
    /// <exception cref="ArgumentException">The text is too short for one chunk per stream.</exception>
    public LanguageModelStream EncodeLanguageModel(string text, Vocabulary vocabulary, int batchSize, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return new(EncodeText(text, vocabulary), batchSize, sequenceLength, vocabulary.Count);
    }

    /// <summary>
    /// <paramref name="documents"/> as token ids with their labels, each longer one cut to its head and tail, <paramref name="maxLength"/>
    /// tokens (see <see cref="TokenSequenceDataset"/>); the classes are <see cref="ClassNames"/>.
    /// </summary>
    public TokenSequenceDataset EncodeClassification(IReadOnlyList<LabeledText> documents, Vocabulary vocabulary, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var ids = new int[documents.Count][];
        var labels = new int[documents.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = EncodeText(documents[i].Text, vocabulary);
            labels[i] = documents[i].Label;
        }
        return new TokenSequenceDataset(ids, labels, maxLength, Math.Max(1, ClassNames.Count));
    }

    /// <summary>
    /// <paramref name="sentences"/> as word ids (unknown words by their <see cref="WordSignature"/>) and tag ids (index in <paramref name="tagNames"/>),
    /// cut into pieces of at most <paramref name="maxLength"/> words (see <see cref="TaggedSequenceDataset"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">A tag is not among <paramref name="tagNames"/>; the message names it and its sentence.</exception>
    public TaggedSequenceDataset EncodeTagging(IReadOnlyList<TaggedSentence> sentences, Vocabulary vocabulary, IReadOnlyList<string> tagNames, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(tagNames);
        var tagIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tagNames.Count; i++) tagIds.TryAdd(tagNames[i], i);
        var words = new int[sentences.Count][];
        var tags = new int[sentences.Count][];
        for (int s = 0; s < sentences.Count; s++)
        {
            var sentence = sentences[s];
            if (sentence.Words.Length != sentence.Tags.Length)
                throw new InvalidDataException($"{Name}: sentence {s} has {sentence.Words.Length} words but {sentence.Tags.Length} tags.");
            var w = words[s] = new int[sentence.Words.Length];
            var g = tags[s] = new int[sentence.Tags.Length];
            for (int t = 0; t < w.Length; t++)
            {
                string word = sentence.Words[t];
                w[t] = WordSignature.IdOf(vocabulary, word);
                if (!tagIds.TryGetValue(sentence.Tags[t], out g[t]))
                    throw new InvalidDataException(
                        $"{Name}: tag '{sentence.Tags[t]}' of word '{word}' in sentence {s} is not among the {tagNames.Count} tags the model knows.");
            }
        }
        return new TaggedSequenceDataset(words, tags, maxLength, Math.Max(1, tagNames.Count));
    }

    /// <summary>
    /// Both splits encoded with <paramref name="vocabulary"/>: for a language model, streams of <paramref name="batchSize"/>
    /// rows and <paramref name="length"/> steps; otherwise samples of at most <paramref name="length"/> steps
    /// (<paramref name="batchSize"/> unused), with <see cref="ClassNames"/> as the classes.
    /// </summary>
    public (IDataset Train, IDataset Test) Encode(Vocabulary vocabulary, int length, int batchSize) => Kind switch
    {
        TaskKind.LanguageModel => (EncodeLanguageModel(TrainText, vocabulary, batchSize, length), EncodeLanguageModel(TestText, vocabulary, batchSize, length)),
        TaskKind.Classify => (EncodeClassification(LabeledTrain, vocabulary, length), EncodeClassification(LabeledTest, vocabulary, length)),
        _ => (EncodeTagging(TaggedTrain, vocabulary, ClassNames, length), EncodeTagging(TaggedTest, vocabulary, ClassNames, length)),
    };

    /// <summary>
    /// What is known about the corpus as a data set. Counts are in the unit of <see cref="TrainCount"/>; the
    /// sample shape is empty because the sequence length is chosen when encoding.
    /// </summary>
    public DatasetInfo Info(IReadOnlyList<string>? searched = null) =>
        new(Name, Description, Location, TrainCount, TestCount, [], ClassNames, searched ?? []);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Kind}, {TrainCount} train / {TestCount} test, {Location})";

    private InvalidOperationException WrongKind(string what) =>
        new($"'{Name}' is a {Kind} corpus; it has no {what}.");
}
