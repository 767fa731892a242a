using System.Text.Json.Nodes;
using Loom.Serialization;

namespace Loom.Models;

/// <summary>What a text model is built for: the tokenizer, its vocabulary, the class (or tag) names and the sequence length T.</summary>
public sealed record TextModelInputs(string Tokenizer, string[] Vocabulary, string[] ClassNames, int SequenceLength);

/// <summary>
/// The built-in models, each a <see cref="ModelSpec"/>, by name. Image models are fixed; text models
/// (<see cref="TextNames"/>) are sized by the data they are trained on (<see cref="TextModelInputs"/>).
/// </summary>
public static class ModelZoo
{
    // Fashion-MNIST training-set pixel statistics (of values scaled to [0, 1]).
    private static readonly float[] FashionMean = [0.2860f];
    private static readonly float[] FashionStd = [0.3530f];

    public static IReadOnlyList<string> Names => ["lenet", "fashion-cnn", "row-lstm", "row-gru", "hybrid-cnn-lstm", .. TextNames];

    /// <summary>The built-in models that read token sequences and need <see cref="TextModelInputs"/>.</summary>
    public static IReadOnlyList<string> TextNames => ["char-lstm", "char-gru", "char-rnn", "lstm-classifier", "gru-classifier", "bigru-classifier", "bilstm-tagger", "bigru-tagger",
        "text-cnn", "cnn-tagger", "char-cnn-classifier", "char-gru-classifier", "dilated-cnn-lm"];

    /// <summary>The task a built-in model does, without building it.</summary>
    public static ModelSpec.TaskKind TaskOf(string name) => name switch
    {
        "char-lstm" or "char-gru" or "char-rnn" or "dilated-cnn-lm" => ModelSpec.TaskKind.LanguageModel,
        "bilstm-tagger" or "bigru-tagger" or "cnn-tagger" => ModelSpec.TaskKind.Tag,
        _ => ModelSpec.TaskKind.Classify,
    };

    /// <summary>The spec of a built-in model; an unknown name lists the known ones. Text models need <paramref name="text"/>.</summary>
    public static ModelSpec Get(string name, TextModelInputs? text = null) => name switch
    {
        "lenet" => LeNet(),
        "fashion-cnn" => FashionCnn(),
        "row-lstm" => RowRecurrent("row-lstm", "LSTM"),
        "row-gru" => RowRecurrent("row-gru", "GRU"),
        "char-lstm" => CharLanguageModel(name, "LSTM", Need(name, text)),
        "char-gru" => CharLanguageModel(name, "GRU", Need(name, text)),
        "char-rnn" => CharLanguageModel(name, "RNN", Need(name, text)),
        "lstm-classifier" => RecurrentClassifier(name, "LSTM", false, Need(name, text)),
        "gru-classifier" => RecurrentClassifier(name, "GRU", false, Need(name, text)),
        "bigru-classifier" => RecurrentClassifier(name, "GRU", true, Need(name, text)),
        "bilstm-tagger" => RecurrentTagger(name, "LSTM", Need(name, text)),
        "bigru-tagger" => RecurrentTagger(name, "GRU", Need(name, text)),
        "hybrid-cnn-lstm" => HybridCnnLstm(),
        "text-cnn" => TextCnn(name, Need(name, text)),
        "cnn-tagger" => CnnTagger(name, Need(name, text)),
        "char-cnn-classifier" => CharCnnClassifier(name, Need(name, text)),
        "char-gru-classifier" => CharGruClassifier(name, Need(name, text)),
        "dilated-cnn-lm" => DilatedCnnLanguageModel(name, Need(name, text)),
        _ => throw new ArgumentException($"Unknown model '{name}'. Built-in models: {string.Join(", ", Names)}; or give a spec .json file or a saved .safetensors model."),
    };

    private static TextModelInputs Need(string name, TextModelInputs? text) =>
        text ?? throw new ArgumentException($"Model '{name}' reads text: train it on a text data set (moby-dick, brown, spam-assassin, langid or their -mini samples).");

    /// <summary>
    /// An image read as a sequence: each of the 28 rows is one step of 28 pixels, through one recurrent
    /// layer of 128 units whose final state feeds the classifier: Flatten(1, 2) → LSTM/GRU(28, 128) → Linear(128, 10).
    /// </summary>
    public static ModelSpec RowRecurrent(string name, string cell) => new()
    {
        Name = name,
        InputShape = [1, 28, 28],
        Classes = 10,
        NormalizeMean = FashionMean,
        NormalizeStd = FashionStd,
        Layers =
        [
            Layer("Flatten", ("start_dim", 1), ("end_dim", 2)),
            Layer(cell, ("input_size", 28), ("hidden_size", 128), ("return_sequences", false)),
            Layer("Linear", ("in_features", 128), ("out_features", 10)),
        ],
    };

    /// <summary>
    /// A character language model, the shape used by the performance issue and Karpathy's char-rnn:
    /// Embedding(V, 64) → stateful LSTM/GRU/RNN(64, 256) → Linear(256, V), predicting the next character at
    /// every step; trained by truncated BPTT over chunks of T characters with the state carried across batches.
    /// </summary>
    public static ModelSpec CharLanguageModel(string name, string cell, TextModelInputs text) => new()
    {
        Name = name,
        Task = ModelSpec.TaskKind.LanguageModel,
        Tokenizer = text.Tokenizer,
        Vocabulary = text.Vocabulary,
        InputShape = [text.SequenceLength],
        Classes = text.Vocabulary.Length,
        Layers =
        [
            Layer("Embedding", ("num_embeddings", text.Vocabulary.Length), ("embedding_dim", 64)),
            Layer(cell, ("input_size", 64), ("hidden_size", 256), ("stateful", true)),
            Layer("Linear", ("in_features", 256), ("out_features", text.Vocabulary.Length)),
        ],
    };

    /// <summary>
    /// A sequence classifier: Embedding(V, 64, padding 0) → Dropout(0.25) → LSTM/GRU(64, 128) (bidirectional:
    /// 128 per direction) → max over the valid steps → Dropout(0.3) → Linear(·, classes). Max-pooling every
    /// step's output measured better on SpamAssassin than reading the final state (97.6–97.9 % against 95.5–97.8 %
    /// over 200 words; docs/recurrent.md), as a long mail's telling words need not be near its end. Padding changes nothing.
    /// </summary>
    public static ModelSpec RecurrentClassifier(string name, string cell, bool bidirectional, TextModelInputs text) => new()
    {
        Name = name,
        Tokenizer = text.Tokenizer,
        Vocabulary = text.Vocabulary,
        ClassNames = text.ClassNames,
        InputShape = [text.SequenceLength],
        Classes = text.ClassNames.Length,
        Layers =
        [
            Layer("Embedding", ("num_embeddings", text.Vocabulary.Length), ("embedding_dim", 64), ("padding_idx", 0)),
            Layer("Dropout", ("p", 0.25)),
            Layer(cell, ("input_size", 64), ("hidden_size", 128), ("bidirectional", bidirectional)),
            Layer("SequencePool", ("mode", "max")),
            Layer("Dropout", ("p", 0.3)),
            Layer("Linear", ("in_features", bidirectional ? 256 : 128), ("out_features", text.ClassNames.Length)),
        ],
    };

    /// <summary>
    /// A sequence tagger: Embedding(V, 100, padding 0) → Dropout(0.25) → bidirectional LSTM/GRU(100, 128 per
    /// direction) → Dropout(0.25) → Linear(256, tags) applied at every step.
    /// </summary>
    public static ModelSpec RecurrentTagger(string name, string cell, TextModelInputs text) => new()
    {
        Name = name,
        Task = ModelSpec.TaskKind.Tag,
        Tokenizer = text.Tokenizer,
        Vocabulary = text.Vocabulary,
        ClassNames = text.ClassNames,
        InputShape = [text.SequenceLength],
        Classes = text.ClassNames.Length,
        Layers =
        [
            Layer("Embedding", ("num_embeddings", text.Vocabulary.Length), ("embedding_dim", 100), ("padding_idx", 0)),
            Layer("Dropout", ("p", 0.25)),
            Layer(cell, ("input_size", 100), ("hidden_size", 128), ("bidirectional", true)),
            Layer("Dropout", ("p", 0.25)),
            Layer("Linear", ("in_features", 256), ("out_features", text.ClassNames.Length)),
        ],
    };

    /// <summary>
    /// Two 3×3 conv + max-pool stages and two fully connected layers:
    /// Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-ReLU-Linear(128,10).
    /// </summary>
    public static ModelSpec LeNet() => new()
    {
        Name = "lenet",
        InputShape = [1, 28, 28],
        Classes = 10,
        NormalizeMean = FashionMean,
        NormalizeStd = FashionStd,
        Layers =
        [
            Layer("Conv2d", ("in_channels", 1), ("out_channels", 32), ("kernel_size", 3), ("padding", 1)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Conv2d", ("in_channels", 32), ("out_channels", 64), ("kernel_size", 3), ("padding", 1)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Flatten"),
            Layer("Linear", ("in_features", 3136), ("out_features", 128)),
            Layer("ReLU"),
            Layer("Linear", ("in_features", 128), ("out_features", 10)),
        ],
    };

    /// <summary>
    /// A stronger CNN: two VGG-style blocks of two 3×3 convolutions with batch norm, max-pooling and
    /// dropout, then a batch-normalised hidden layer; trained with random crops and horizontal flips.
    /// </summary>
    public static ModelSpec FashionCnn() => new()
    {
        Name = "fashion-cnn",
        InputShape = [1, 28, 28],
        Classes = 10,
        NormalizeMean = FashionMean,
        NormalizeStd = FashionStd,
        RandomCropPadding = 2,
        HorizontalFlip = true,
        Layers =
        [
            Layer("Conv2d", ("in_channels", 1), ("out_channels", 32), ("kernel_size", 3), ("padding", 1), ("bias", false)),
            Layer("BatchNorm2d", ("num_features", 32)),
            Layer("ReLU"),
            Layer("Conv2d", ("in_channels", 32), ("out_channels", 32), ("kernel_size", 3), ("padding", 1), ("bias", false)),
            Layer("BatchNorm2d", ("num_features", 32)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Dropout", ("p", 0.1)),
            Layer("Conv2d", ("in_channels", 32), ("out_channels", 64), ("kernel_size", 3), ("padding", 1), ("bias", false)),
            Layer("BatchNorm2d", ("num_features", 64)),
            Layer("ReLU"),
            Layer("Conv2d", ("in_channels", 64), ("out_channels", 64), ("kernel_size", 3), ("padding", 1), ("bias", false)),
            Layer("BatchNorm2d", ("num_features", 64)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Dropout", ("p", 0.2)),
            Layer("Flatten"),
            Layer("Linear", ("in_features", 3136), ("out_features", 256), ("bias", false)),
            Layer("BatchNorm1d", ("num_features", 256)),
            Layer("ReLU"),
            Layer("Dropout", ("p", 0.4)),
            Layer("Linear", ("in_features", 256), ("out_features", 10)),
        ],
    };

    /// <summary>
    /// A convolutional front end feeding an LSTM that reads the feature map column by column (Fashion-MNIST):
    /// Conv2d(1,32,3,p=1)-ReLU-MaxPool2 → Conv2d(32,32,3,p=1)-ReLU-MaxPool2 → (N, 32, 7, 7) → Permute(0,3,1,2) →
    /// Flatten(2,3): 7 steps (columns) of 32·7 = 224 features → LSTM(224, 128), final state → Linear(128, 10).
    /// 192,106 parameters: between <c>row-lstm</c> (82 k) and <c>lenet</c> (422 k). The convolutions see local
    /// 2-D shapes; the LSTM composes them left to right, as CRNNs read lines of text.
    /// </summary>
    public static ModelSpec HybridCnnLstm() => new()
    {
        Name = "hybrid-cnn-lstm",
        InputShape = [1, 28, 28],
        Classes = 10,
        NormalizeMean = FashionMean,
        NormalizeStd = FashionStd,
        Layers =
        [
            Layer("Conv2d", ("in_channels", 1), ("out_channels", 32), ("kernel_size", 3), ("padding", 1)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Conv2d", ("in_channels", 32), ("out_channels", 32), ("kernel_size", 3), ("padding", 1)),
            Layer("ReLU"),
            Layer("MaxPool2d", ("kernel_size", 2)),
            Layer("Permute", ("dims", new JsonArray(0, 3, 1, 2))),
            Layer("Flatten", ("start_dim", 2), ("end_dim", 3)),
            Layer("LSTM", ("input_size", 224), ("hidden_size", 128), ("return_sequences", false)),
            Layer("Linear", ("in_features", 128), ("out_features", 10)),
        ],
    };

    /// <summary>
    /// Kim's (2014) CNN for sentence classification, word level: Embedding(V, 64, padding 0) → Dropout(0.25) →
    /// Transpose(1, 2) → for window widths 3, 4 and 5: Conv1d(64, 100, w, padding w − 1) → ReLU → global max over
    /// time → concatenated (300) → Dropout(0.5) → Linear(300, classes). The embedding and its dropout are those of
    /// the recurrent classifiers, so only the encoder differs: 77,100 convolution parameters against GRU(64, 128)'s
    /// 74,496. The padding of w − 1 on both sides is Kim's (his code pads every sentence so), and lets a text shorter
    /// than a window still be read.
    /// </summary>
    public static ModelSpec TextCnn(string name, TextModelInputs text) =>
        KimCnn(name, text, embedding: 64, widths: [3, 4, 5], maps: 100, embeddingDropout: 0.25, dropout: 0.5);

    /// <summary>
    /// A character CNN for short texts (language identification of single words): Embedding(V, 32, padding 0) →
    /// Transpose(1, 2) → for character n-gram widths 2, 3, 4 and 5: Conv1d(32, 128, w, padding w − 1) → ReLU →
    /// global max over time → concatenated (512) → Dropout(0.3) → Linear(512, classes). Each map is an n-gram
    /// detector; max-pooling asks "does the word contain it anywhere", the question language identification asks.
    /// 57,856 convolution parameters against <c>char-gru-classifier</c>'s GRU(32, 128), 62,208.
    /// </summary>
    public static ModelSpec CharCnnClassifier(string name, TextModelInputs text) =>
        KimCnn(name, text, embedding: 32, widths: [2, 3, 4, 5], maps: 128, embeddingDropout: 0, dropout: 0.3);

    private static ModelSpec KimCnn(string name, TextModelInputs text, int embedding, int[] widths, int maps, double embeddingDropout, double dropout)
    {
        var branches = new JsonArray();
        foreach (int w in widths)
            branches.Add((JsonNode)new JsonArray(
                Layer("Conv1d", ("in_channels", embedding), ("out_channels", maps), ("kernel_size", w), ("padding", w - 1)),
                Layer("ReLU"),
                Layer("AdaptiveMaxPool1d", ("output_size", 1)),
                Layer("Flatten")));
        var layers = new List<JsonObject> { Layer("Embedding", ("num_embeddings", text.Vocabulary.Length), ("embedding_dim", embedding), ("padding_idx", 0)) };
        if (embeddingDropout > 0) layers.Add(Layer("Dropout", ("p", embeddingDropout)));
        layers.Add(Layer("Transpose", ("dim0", 1), ("dim1", 2)));
        layers.Add(Layer("Concat", ("dim", 1), ("branches", branches)));
        layers.Add(Layer("Dropout", ("p", dropout)));
        layers.Add(Layer("Linear", ("in_features", widths.Length * maps), ("out_features", text.ClassNames.Length)));
        return new ModelSpec
        {
            Name = name,
            Tokenizer = text.Tokenizer,
            Vocabulary = text.Vocabulary,
            ClassNames = text.ClassNames,
            InputShape = [text.SequenceLength],
            Classes = text.ClassNames.Length,
            Layers = layers,
        };
    }

    /// <summary>
    /// A character GRU for short texts (language identification of single words): Embedding(V, 32, padding 0) →
    /// GRU(32, 128), final state at each word's true length → Dropout(0.3) → Linear(128, classes). The recurrent
    /// twin of <c>char-cnn-classifier</c>, of about its size (62,208 recurrent parameters).
    /// </summary>
    public static ModelSpec CharGruClassifier(string name, TextModelInputs text) => new()
    {
        Name = name,
        Tokenizer = text.Tokenizer,
        Vocabulary = text.Vocabulary,
        ClassNames = text.ClassNames,
        InputShape = [text.SequenceLength],
        Classes = text.ClassNames.Length,
        Layers =
        [
            Layer("Embedding", ("num_embeddings", text.Vocabulary.Length), ("embedding_dim", 32), ("padding_idx", 0)),
            Layer("GRU", ("input_size", 32), ("hidden_size", 128), ("return_sequences", false)),
            Layer("Dropout", ("p", 0.3)),
            Layer("Linear", ("in_features", 128), ("out_features", text.ClassNames.Length)),
        ],
    };

    /// <summary>
    /// A convolutional tagger: Embedding(V, 100, padding 0) → Dropout(0.25) → Transpose(1, 2) → three 3-wide
    /// Conv1d(·, 176) with dilations 1, 2 and 4 and "same" padding (1, 2, 4), each followed by ReLU, the second and
    /// third inside residual blocks (x + ReLU(conv(x))) → Transpose(1, 2) → Dropout(0.25) → Linear(176, tags) at every step. Each word's tag is read from a window of 15 words centred on
    /// it (7 each side); the width 176 gives 239,184 convolution parameters, about the 235,520 of
    /// <c>bilstm-tagger</c>'s BiLSTM(100, 2×128), whose embedding, dropouts and per-step output it shares.
    /// </summary>
    public static ModelSpec CnnTagger(string name, TextModelInputs text)
    {
        const int width = 176;
        return new()
        {
            Name = name,
            Task = ModelSpec.TaskKind.Tag,
            Tokenizer = text.Tokenizer,
            Vocabulary = text.Vocabulary,
            ClassNames = text.ClassNames,
            InputShape = [text.SequenceLength],
            Classes = text.ClassNames.Length,
            Layers =
            [
                Layer("Embedding", ("num_embeddings", text.Vocabulary.Length), ("embedding_dim", 100), ("padding_idx", 0)),
                Layer("Dropout", ("p", 0.25)),
                Layer("Transpose", ("dim0", 1), ("dim1", 2)),
                Layer("Conv1d", ("in_channels", 100), ("out_channels", width), ("kernel_size", 3), ("padding", 1)),
                Layer("ReLU"),
                Layer("Residual", ("layers", new JsonArray(
                    Layer("Conv1d", ("in_channels", width), ("out_channels", width), ("kernel_size", 3), ("padding", 2), ("dilation", 2)),
                    Layer("ReLU")))),
                Layer("Residual", ("layers", new JsonArray(
                    Layer("Conv1d", ("in_channels", width), ("out_channels", width), ("kernel_size", 3), ("padding", 4), ("dilation", 4)),
                    Layer("ReLU")))),
                Layer("Transpose", ("dim0", 1), ("dim1", 2)),
                Layer("Dropout", ("p", 0.25)),
                Layer("Linear", ("in_features", width), ("out_features", text.ClassNames.Length)),
            ],
        };
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
    public static ModelSpec DilatedCnnLanguageModel(string name, TextModelInputs text)
    {
        const int width = 160;
        var layers = new List<JsonObject>
        {
            Layer("Embedding", ("num_embeddings", text.Vocabulary.Length), ("embedding_dim", 64)),
            Layer("Transpose", ("dim0", 1), ("dim1", 2)),
        };
        layers.Add(Layer("Conv1d", ("in_channels", 64), ("out_channels", width), ("kernel_size", 3), ("causal", true)));
        layers.Add(Layer("ReLU"));
        foreach (int dilation in (int[])[2, 4, 8, 16])
            layers.Add(Layer("Residual", ("layers", new JsonArray(
                Layer("Conv1d", ("in_channels", width), ("out_channels", width), ("kernel_size", 3), ("dilation", dilation), ("causal", true)),
                Layer("ReLU")))));
        layers.Add(Layer("Transpose", ("dim0", 1), ("dim1", 2)));
        layers.Add(Layer("Linear", ("in_features", width), ("out_features", text.Vocabulary.Length)));
        return new ModelSpec
        {
            Name = name,
            Task = ModelSpec.TaskKind.LanguageModel,
            Tokenizer = text.Tokenizer,
            Vocabulary = text.Vocabulary,
            InputShape = [text.SequenceLength],
            Classes = text.Vocabulary.Length,
            Layers = layers,
        };
    }

    private static JsonObject Layer(string type, params (string Key, JsonNode? Value)[] args)
    {
        var o = new JsonObject { ["type"] = type };
        foreach (var (k, v) in args) o[k] = v;
        return o;
    }
}
