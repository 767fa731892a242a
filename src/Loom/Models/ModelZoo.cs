using Loom.Data;
using Loom.Kernels;
using Loom.Nn;
using Loom.Serialization;
using Loom.Text;

namespace Loom.Models;

/// <summary>What a text model is built for: the tokenizer, its vocabulary, the class (or tag) names and the sequence length T.</summary>
public sealed record TextModelInputs(TokenizerKind Tokenizer, string[] Vocabulary, string[] ClassNames, int SequenceLength);

/// <summary>
/// The built-in models, one entry each in <see cref="Models"/>: name, task and a typed builder that constructs the
/// module; the model's <see cref="ModelSpec"/> is derived from the built module through the <see cref="LayerRegistry"/>.
/// Image models are fixed; text models (<see cref="TextNames"/>) are sized by the data they are trained on
/// (<see cref="TextModelInputs"/>). A builder draws the initial weights from the global <see cref="Rng"/>, so a
/// run seeds it and builds its model once.
/// </summary>
public static class ModelZoo
{
    // Fashion-MNIST training-set pixel statistics (of values scaled to [0, 1]).
    private static readonly float[] FashionMean = [0.2860f];
    private static readonly float[] FashionStd = [0.3530f];

    /// <summary>Every built-in model, in the order the help and errors list them.</summary>
    public static IReadOnlyList<ZooModel> Models { get; } =
    [
        Image("lenet", LeNet),
        Image("fashion-cnn", FashionCnn),
        Image("row-lstm", () => RowRecurrent("row-lstm", RecurrentCellKind.Lstm)),
        Image("row-gru", () => RowRecurrent("row-gru", RecurrentCellKind.Gru)),
        Image("hybrid-cnn-lstm", HybridCnnLstm),
        Text("char-lstm", TaskKind.LanguageModel, t => CharLanguageModel("char-lstm", RecurrentCellKind.Lstm, t)),
        Text("char-gru", TaskKind.LanguageModel, t => CharLanguageModel("char-gru", RecurrentCellKind.Gru, t)),
        Text("char-rnn", TaskKind.LanguageModel, t => CharLanguageModel("char-rnn", RecurrentCellKind.RnnTanh, t)),
        Text("lstm-classifier", TaskKind.Classify, t => RecurrentClassifier("lstm-classifier", RecurrentCellKind.Lstm, false, t)),
        Text("gru-classifier", TaskKind.Classify, t => RecurrentClassifier("gru-classifier", RecurrentCellKind.Gru, false, t)),
        Text("bigru-classifier", TaskKind.Classify, t => RecurrentClassifier("bigru-classifier", RecurrentCellKind.Gru, true, t)),
        Text("bilstm-tagger", TaskKind.Tag, t => RecurrentTagger("bilstm-tagger", RecurrentCellKind.Lstm, t)),
        Text("bigru-tagger", TaskKind.Tag, t => RecurrentTagger("bigru-tagger", RecurrentCellKind.Gru, t)),
        Text("text-cnn", TaskKind.Classify, t => TextCnn("text-cnn", t)),
        Text("cnn-tagger", TaskKind.Tag, t => CnnTagger("cnn-tagger", t)),
        Text("char-cnn-classifier", TaskKind.Classify, t => CharCnnClassifier("char-cnn-classifier", t)),
        Text("char-gru-classifier", TaskKind.Classify, t => CharGruClassifier("char-gru-classifier", t)),
        Text("dilated-cnn-lm", TaskKind.LanguageModel, t => DilatedCnnLanguageModel("dilated-cnn-lm", t)),
        Speech("speech-cnn", SpeechCnn),
        Speech("speech-bilstm", SpeechBiLstm),
        Speech("speech-crnn", SpeechCrnn),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. Models.Select(m => m.Name)];

    /// <summary>The built-in models that read token sequences and need <see cref="TextModelInputs"/>.</summary>
    public static IReadOnlyList<string> TextNames { get; } = [.. Models.Where(m => m.ReadsText).Select(m => m.Name)];

    /// <summary>The entry of a built-in model; an unknown name lists the known ones.</summary>
    public static ZooModel Find(string name) => Models.FirstOrDefault(m => m.Name == name)
        ?? throw new ArgumentException($"Unknown model '{name}'. Built-in models: {string.Join(", ", Names)}; or give a spec .json file or a saved model (.safetensors or .onnx).");

    /// <summary>Whether <paramref name="name"/> is a built-in model.</summary>
    public static bool Contains(string name) => Models.Any(m => m.Name == name);

    /// <summary>The task a built-in model does, without building it.</summary>
    public static TaskKind TaskOf(string name) => Find(name).Task;

    /// <summary>Builds a built-in model and its spec; text models need <paramref name="text"/>.</summary>
    public static BuiltModel Build(string name, TextModelInputs? text = null) => Find(name).Build(text);

    private static ZooModel Image(string name, Func<BuiltModel> build) => new(name, TaskKind.Classify, false, _ => build());

    private static ZooModel Speech(string name, Func<BuiltModel> build) => new(name, TaskKind.Transcribe, false, _ => build());

    private static ZooModel Text(string name, TaskKind task, Func<TextModelInputs, BuiltModel> build) => new(name, task, true, t => build(t!));

    /// <summary>The spec of <paramref name="model"/> under <paramref name="header"/>, checked by one forward pass (eval mode: no random draws).</summary>
    private static BuiltModel Built(ModelSpec header, Sequential model)
    {
        var spec = header with { Layers = LayerRegistry.DescribeLayers(model) };
        spec.Check(model);
        return new BuiltModel(spec, model);
    }

    /// <summary>A Fashion-MNIST model: (1, 28, 28) images normalised by the training set's statistics, 10 classes.</summary>
    private static BuiltModel Fashion(string name, Sequential model, int randomCropPadding = 0, bool horizontalFlip = false) => Built(new ModelSpec
    {
        Name = name,
        InputShape = [1, 28, 28],
        Classes = 10,
        NormalizeMean = FashionMean,
        NormalizeStd = FashionStd,
        RandomCropPadding = randomCropPadding,
        HorizontalFlip = horizontalFlip,
    }, model);

    /// <summary>A text model: token ids of length T; a language model predicts the vocabulary, the others the class (tag) names.</summary>
    private static BuiltModel TextModel(string name, TaskKind task, TextModelInputs text, Sequential model)
    {
        bool languageModel = task == TaskKind.LanguageModel;
        return Built(new ModelSpec
        {
            Name = name,
            Task = task,
            Tokenizer = text.Tokenizer,
            Vocabulary = text.Vocabulary,
            ClassNames = languageModel ? null : text.ClassNames,
            InputShape = [text.SequenceLength],
            Classes = languageModel ? text.Vocabulary.Length : text.ClassNames.Length,
        }, model);
    }

    /// <summary>
    /// The features every built-in speech model reads: 40 log-mel bands every 10 ms of 16 kHz audio, normalised per
    /// utterance; trained with SpecAugment's masks and the bands stretched by up to ±10 % (vocal tract length
    /// perturbation), since the test speakers' voices are never heard in training.
    /// </summary>
    public static Audio.SpeechFrontEnd SpeechFeatures { get; } = new(sampleRate: 16000, nMels: 40, frequencyWarp: 0.1f);

    /// <summary>The longest clip a built-in speech model takes: 800 frames, 8 s (the spoken phrases run to 3.8 s).</summary>
    public const int SpeechMaxFrames = 800;

    /// <summary>A transcriber: (frames, 40) log-mel input, per output frame scores over the CTC alphabet (blank first).</summary>
    private static BuiltModel Transcriber(string name, Sequential model) => Built(new ModelSpec
    {
        Name = name,
        Task = TaskKind.Transcribe,
        InputShape = [SpeechMaxFrames, SpeechFeatures.NMels],
        Classes = Audio.SpeechAlphabet.Count,
        ClassNames = [.. Audio.SpeechAlphabet.Characters.Select(c => c.ToString())],
        Audio = SpeechFeatures,
    }, model);

    /// <summary>
    /// Convolution over time only (a 1-D CNN, Wav2Letter's shape at small scale): Transpose(1, 2) → Conv1d(40, 128,
    /// 5, stride 2) → BatchNorm1d → ReLU → three Conv1d(128, 128, 5) with dilation 1, 2, 4 each with BatchNorm1d and
    /// ReLU → Conv1d(128, 29, 1) → Transpose(1, 2): (N, T, 40) → (N, ⌈T/2⌉, 29). Each output frame sees 61 input
    /// frames (0.61 s); nothing carries further.
    /// </summary>
    public static BuiltModel SpeechCnn()
    {
        var model = new Sequential(new Transpose(1, 2), new Conv1d(40, 128, 5, stride: 2, padding: 2, bias: false), new BatchNorm1d(128), new Relu());
        foreach (int dilation in (int[])[1, 2, 4])
            model.Add(new Conv1d(128, 128, 5, padding: 2 * dilation, dilation: dilation, bias: false)).Add(new BatchNorm1d(128)).Add(new Relu());
        model.Add(new Dropout(0.1f)).Add(new Conv1d(128, Audio.SpeechAlphabet.Count, 1)).Add(new Transpose(1, 2));
        return Transcriber("speech-cnn", model);
    }

    /// <summary>
    /// Recurrence alone over every frame: a two-layer bidirectional LSTM(40, 128 per direction) → Dropout(0.1) →
    /// Linear(256, 29): (N, T, 40) → (N, T, 29), each clip read to its own length in both directions.
    /// </summary>
    public static BuiltModel SpeechBiLstm() => Transcriber("speech-bilstm", new Sequential(
        new Lstm(40, 128, numLayers: 2, batchFirst: true, bidirectional: true),
        new Dropout(0.1f),
        new Linear(256, Audio.SpeechAlphabet.Count)));

    /// <summary>
    /// DeepSpeech 2's shape at small scale: a 2-D convolutional front end over (time, mel) — Unsqueeze(1) →
    /// Conv2d(1, 32, 5×5, stride 2×2) → BatchNorm2d → ReLU → Conv2d(32, 32, 5×5, stride 2×2) → BatchNorm2d → ReLU —
    /// quartering the frames (one every 40 ms, still twice the fastest phrase's characters) and the bands, then
    /// Permute(0, 2, 1, 3) → Flatten(2) to (N, T/4, 320) frames for a two-layer bidirectional GRU(320, 160 per
    /// direction) → Dropout(0.1) → Linear(320, 29). Striding in time is what makes the recurrence affordable: a fourth
    /// of the steps for the same audio.
    /// </summary>
    public static BuiltModel SpeechCrnn() => Transcriber("speech-crnn", new Sequential(
        new Unsqueeze(1),
        new Conv2d(1, 32, (5, 5), (2, 2), (2, 2), (1, 1), bias: false),
        new BatchNorm2d(32),
        new Relu(),
        new Conv2d(32, 32, (5, 5), (2, 2), (2, 2), (1, 1), bias: false),
        new BatchNorm2d(32),
        new Relu(),
        new Permute(0, 2, 1, 3),
        new Flatten(2),
        new Gru(320, 160, numLayers: 2, batchFirst: true, bidirectional: true),
        new Dropout(0.1f),
        new Linear(320, Audio.SpeechAlphabet.Count)));

    /// <summary>A batch-first recurrent layer of the given cell, as a spec holds it.</summary>
    private static RecurrentLayer Recurrent(RecurrentCellKind cell, int inputSize, int hiddenSize, bool bidirectional = false) => cell switch
    {
        RecurrentCellKind.Lstm => new Lstm(inputSize, hiddenSize, batchFirst: true, bidirectional: bidirectional),
        RecurrentCellKind.Gru => new Gru(inputSize, hiddenSize, batchFirst: true, bidirectional: bidirectional),
        RecurrentCellKind.RnnRelu => new Rnn(inputSize, hiddenSize, nonlinearity: RnnNonlinearity.Relu, batchFirst: true, bidirectional: bidirectional),
        _ => new Rnn(inputSize, hiddenSize, batchFirst: true, bidirectional: bidirectional),
    };

    /// <summary>
    /// An image read as a sequence: each of the 28 rows is one step of 28 pixels, through one recurrent
    /// layer of 128 units whose final state feeds the classifier: Flatten(1, 2) → LSTM/GRU(28, 128) → Linear(128, 10).
    /// </summary>
    public static BuiltModel RowRecurrent(string name, RecurrentCellKind cell) => Fashion(name, new Sequential(
        new Flatten(1, 2),
        WithFinalState(Recurrent(cell, 28, 128)),
        new Linear(128, 10)));

    private static RecurrentLayer WithFinalState(RecurrentLayer layer)
    {
        layer.ReturnSequences = false;
        return layer;
    }

    /// <summary>
    /// A character language model, the shape used by the performance issue and Karpathy's char-rnn:
    /// Embedding(V, 64) → stateful LSTM/GRU/RNN(64, 256) → Linear(256, V), predicting the next character at
    /// every step; trained by truncated BPTT over chunks of T characters with the state carried across batches.
    /// </summary>
    public static BuiltModel CharLanguageModel(string name, RecurrentCellKind cell, TextModelInputs text)
    {
        var model = new Sequential(new Embedding(text.Vocabulary.Length, 64));
        var recurrent = Recurrent(cell, 64, 256);
        recurrent.Stateful = true;
        model.Add(recurrent).Add(new Linear(256, text.Vocabulary.Length));
        return TextModel(name, TaskKind.LanguageModel, text, model);
    }

    /// <summary>
    /// A sequence classifier: Embedding(V, 64, padding 0) → Dropout(0.25) → LSTM/GRU(64, 128) (bidirectional:
    /// 128 per direction) → max over the valid steps → Dropout(0.3) → Linear(·, classes). Max-pooling every
    /// step's output measured better on SpamAssassin than reading the final state (97.6–97.9 % against 95.5–97.8 %
    /// over 200 words; docs/recurrent.md), as a long mail's telling words need not be near its end. Padding changes nothing.
    /// </summary>
    public static BuiltModel RecurrentClassifier(string name, RecurrentCellKind cell, bool bidirectional, TextModelInputs text) =>
        TextModel(name, TaskKind.Classify, text, new Sequential(
            new Embedding(text.Vocabulary.Length, 64, paddingIdx: 0),
            new Dropout(0.25f),
            Recurrent(cell, 64, 128, bidirectional),
            new SequencePool(SequencePoolMode.Max),
            new Dropout(0.3f),
            new Linear(bidirectional ? 256 : 128, text.ClassNames.Length)));

    /// <summary>
    /// A sequence tagger: Embedding(V, 100, padding 0) → Dropout(0.25) → bidirectional LSTM/GRU(100, 128 per
    /// direction) → Dropout(0.25) → Linear(256, tags) applied at every step.
    /// </summary>
    public static BuiltModel RecurrentTagger(string name, RecurrentCellKind cell, TextModelInputs text) =>
        TextModel(name, TaskKind.Tag, text, new Sequential(
            new Embedding(text.Vocabulary.Length, 100, paddingIdx: 0),
            new Dropout(0.25f),
            Recurrent(cell, 100, 128, bidirectional: true),
            new Dropout(0.25f),
            new Linear(256, text.ClassNames.Length)));

    /// <summary>
    /// Two 3×3 conv + max-pool stages and two fully connected layers:
    /// Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-ReLU-Linear(128,10).
    /// </summary>
    public static BuiltModel LeNet() => Fashion("lenet", new Sequential(
        new Conv2d(1, 32, 3, padding: 1),
        new Relu(),
        new MaxPool2d(2),
        new Conv2d(32, 64, 3, padding: 1),
        new Relu(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(3136, 128),
        new Relu(),
        new Linear(128, 10)));

    /// <summary>
    /// A stronger CNN: two VGG-style blocks of two 3×3 convolutions with batch norm, max-pooling and
    /// dropout, then a batch-normalised hidden layer; trained with random crops and horizontal flips.
    /// </summary>
    public static BuiltModel FashionCnn() => Fashion("fashion-cnn", new Sequential(
        new Conv2d(1, 32, 3, padding: 1, bias: false),
        new BatchNorm2d(32),
        new Relu(),
        new Conv2d(32, 32, 3, padding: 1, bias: false),
        new BatchNorm2d(32),
        new Relu(),
        new MaxPool2d(2),
        new Dropout(0.1f),
        new Conv2d(32, 64, 3, padding: 1, bias: false),
        new BatchNorm2d(64),
        new Relu(),
        new Conv2d(64, 64, 3, padding: 1, bias: false),
        new BatchNorm2d(64),
        new Relu(),
        new MaxPool2d(2),
        new Dropout(0.2f),
        new Flatten(),
        new Linear(3136, 256, bias: false),
        new BatchNorm1d(256),
        new Relu(),
        new Dropout(0.4f),
        new Linear(256, 10)), randomCropPadding: 2, horizontalFlip: true);

    /// <summary>
    /// A convolutional front end feeding an LSTM that reads the feature map column by column (Fashion-MNIST):
    /// Conv2d(1,32,3,p=1)-ReLU-MaxPool2 → Conv2d(32,32,3,p=1)-ReLU-MaxPool2 → (N, 32, 7, 7) → Permute(0,3,1,2) →
    /// Flatten(2,3): 7 steps (columns) of 32·7 = 224 features → LSTM(224, 128), final state → Linear(128, 10).
    /// 192,106 parameters: between <c>row-lstm</c> (82 k) and <c>lenet</c> (422 k). The convolutions see local
    /// 2-D shapes; the LSTM composes them left to right, as CRNNs read lines of text.
    /// </summary>
    public static BuiltModel HybridCnnLstm() => Fashion("hybrid-cnn-lstm", new Sequential(
        new Conv2d(1, 32, 3, padding: 1),
        new Relu(),
        new MaxPool2d(2),
        new Conv2d(32, 32, 3, padding: 1),
        new Relu(),
        new MaxPool2d(2),
        new Permute(0, 3, 1, 2),
        new Flatten(2, 3),
        WithFinalState(new Lstm(224, 128, batchFirst: true)),
        new Linear(128, 10)));

    /// <summary>
    /// Kim's (2014) CNN for sentence classification, word level: Embedding(V, 64, padding 0) → Dropout(0.25) →
    /// Transpose(1, 2) → for window widths 3, 4 and 5: Conv1d(64, 100, w, padding w − 1) → ReLU → global max over
    /// time → concatenated (300) → Dropout(0.5) → Linear(300, classes). The embedding and its dropout are those of
    /// the recurrent classifiers, so only the encoder differs: 77,100 convolution parameters against GRU(64, 128)'s
    /// 74,496. The padding of w − 1 on both sides is Kim's (his code pads every sentence so), and lets a text shorter
    /// than a window still be read.
    /// </summary>
    public static BuiltModel TextCnn(string name, TextModelInputs text) =>
        KimCnn(name, text, embedding: 64, widths: [3, 4, 5], maps: 100, embeddingDropout: 0.25f, dropout: 0.5f);

    /// <summary>
    /// A character CNN for short texts (language identification of single words): Embedding(V, 32, padding 0) →
    /// Transpose(1, 2) → for character n-gram widths 2, 3, 4 and 5: Conv1d(32, 128, w, padding w − 1) → ReLU →
    /// global max over time → concatenated (512) → Dropout(0.3) → Linear(512, classes). Each map is an n-gram
    /// detector; max-pooling asks "does the word contain it anywhere", the question language identification asks.
    /// 57,856 convolution parameters against <c>char-gru-classifier</c>'s GRU(32, 128), 62,208.
    /// </summary>
    public static BuiltModel CharCnnClassifier(string name, TextModelInputs text) =>
        KimCnn(name, text, embedding: 32, widths: [2, 3, 4, 5], maps: 128, embeddingDropout: 0, dropout: 0.3f);

    private static BuiltModel KimCnn(string name, TextModelInputs text, int embedding, int[] widths, int maps, float embeddingDropout, float dropout)
    {
        var model = new Sequential(new Embedding(text.Vocabulary.Length, embedding, paddingIdx: 0));
        if (embeddingDropout > 0) model.Add(new Dropout(embeddingDropout));
        model.Add(new Transpose(1, 2));
        var branches = new Module[widths.Length];
        for (int i = 0; i < widths.Length; i++)
            branches[i] = new Sequential(new Conv1d(embedding, maps, widths[i], padding: widths[i] - 1), new Relu(), new AdaptiveMaxPool1d(1), new Flatten());
        model.Add(new Concat(1, branches));
        model.Add(new Dropout(dropout));
        model.Add(new Linear(widths.Length * maps, text.ClassNames.Length));
        return TextModel(name, TaskKind.Classify, text, model);
    }

    /// <summary>
    /// A character GRU for short texts (language identification of single words): Embedding(V, 32, padding 0) →
    /// GRU(32, 128), final state at each word's true length → Dropout(0.3) → Linear(128, classes). The recurrent
    /// twin of <c>char-cnn-classifier</c>, of about its size (62,208 recurrent parameters).
    /// </summary>
    public static BuiltModel CharGruClassifier(string name, TextModelInputs text) =>
        TextModel(name, TaskKind.Classify, text, new Sequential(
            new Embedding(text.Vocabulary.Length, 32, paddingIdx: 0),
            WithFinalState(new Gru(32, 128, batchFirst: true)),
            new Dropout(0.3f),
            new Linear(128, text.ClassNames.Length)));

    /// <summary>
    /// A convolutional tagger: Embedding(V, 100, padding 0) → Dropout(0.25) → Transpose(1, 2) → three 3-wide
    /// Conv1d(·, 176) with dilations 1, 2 and 4 and "same" padding (1, 2, 4), each followed by ReLU, the second and
    /// third inside residual blocks (x + ReLU(conv(x))) → Transpose(1, 2) → Dropout(0.25) → Linear(176, tags) at every step. Each word's tag is read from a window of 15 words centred on
    /// it (7 each side); the width 176 gives 239,184 convolution parameters, about the 235,520 of
    /// <c>bilstm-tagger</c>'s BiLSTM(100, 2×128), whose embedding, dropouts and per-step output it shares.
    /// </summary>
    public static BuiltModel CnnTagger(string name, TextModelInputs text)
    {
        const int width = 176;
        return TextModel(name, TaskKind.Tag, text, new Sequential(
            new Embedding(text.Vocabulary.Length, 100, paddingIdx: 0),
            new Dropout(0.25f),
            new Transpose(1, 2),
            new Conv1d(100, width, 3, padding: 1),
            new Relu(),
            new Residual(new Conv1d(width, width, 3, padding: 2, dilation: 2), new Relu()),
            new Residual(new Conv1d(width, width, 3, padding: 4, dilation: 4), new Relu()),
            new Transpose(1, 2),
            new Dropout(0.25f),
            new Linear(width, text.ClassNames.Length)));
    }

    /// <summary>
    /// A causal dilated convolutional character language model (TCN style, without gates): Embedding(V, 64) →
    /// Transpose(1, 2) → five causal 3-wide Conv1d(·, 160) with dilations 1, 2, 4, 8, 16, each followed by ReLU, the
    /// last four inside residual blocks (x + ReLU(conv(x))) → Transpose(1, 2) → Linear(160, V): the next character at
    /// every step. Each prediction sees
    /// the last 63 characters and nothing after; the model is NOT stateful, so every chunk of T characters starts
    /// with no history (an LSTM carries its state across chunks). 359,195 parameters for a 91-character vocabulary,
    /// as <c>char-lstm</c>'s 358,939.
    /// </summary>
    public static BuiltModel DilatedCnnLanguageModel(string name, TextModelInputs text)
    {
        const int width = 160;
        var model = new Sequential(
            new Embedding(text.Vocabulary.Length, 64),
            new Transpose(1, 2),
            new CausalConv1d(64, width, 3),
            new Relu());
        foreach (int dilation in (int[])[2, 4, 8, 16])
            model.Add(new Residual(new CausalConv1d(width, width, 3, dilation: dilation), new Relu()));
        model.Add(new Transpose(1, 2));
        model.Add(new Linear(width, text.Vocabulary.Length));
        return TextModel(name, TaskKind.LanguageModel, text, model);
    }
}
