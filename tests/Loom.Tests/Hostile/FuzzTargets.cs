using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Loom.Cli.Commands;
using Loom.Data;
using Loom.IO;
using Loom.Nn;
using Loom.Serialization;
using Loom.Serialization.Onnx;
using Loom.Text;

namespace Loom.Tests.Hostile;

/// <summary>A public reader under fuzz: its valid seed files and how one input is read (bytes in, anything out).</summary>
/// <remarks><c>Mutate</c>, when given, makes an input from the seeds and a plan instead of <see cref="Mutator.Apply"/> (a structure-aware mutator).</remarks>
internal sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Action<byte[], string> Read, string FixturePrefix,
    Func<IReadOnlyList<byte[]>, (int Seed, Mutator.Edit[] Edits), byte[]>? Mutate = null);

/// <summary>
/// Every reader of hostile files, with seeds that are valid files of each kind (small, so thousands of mutants run in
/// seconds, and covering each format's features: dtypes, metadata, checkpoints, BatchNorm, recurrent and text specs,
/// raw and gzip IDX, Brown tags, MIME mails, tar archives). The second argument of Read is a scratch file path for
/// readers that take one.
/// </summary>
internal static class FuzzTargets
{
    private const string TinySpec = """{"name": "tiny", "input_shape": [4], "classes": 2, "layers": [{"type": "Linear", "in_features": 4, "out_features": 2}]}""";
    private const string ConvSpec = """
        {"name": "small", "input_shape": [2, 6, 6], "classes": 3, "class_names": ["a", "b", "c"],
         "normalize": {"mean": [0.1, 0.2], "std": [0.5, 0.6]}, "augment": {"random_crop_padding": 1, "horizontal_flip": true},
         "layers": [{"type": "Conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1},
           {"type": "BatchNorm2d", "num_features": 4}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel_size": 2},
           {"type": "Flatten"}, {"type": "Linear", "in_features": 36, "out_features": 3}]}
        """;
    private const string TextSpec = """
        {"name": "tagger", "task": "tag", "tokenizer": "word", "vocabulary": ["<pad>", "<unk>", "the", "cat"], "input_shape": [5], "classes": 3,
         "layers": [{"type": "Embedding", "num_embeddings": 4, "embedding_dim": 3, "padding_idx": 0},
           {"type": "LSTM", "input_size": 3, "hidden_size": 2, "bidirectional": true},
           {"type": "Residual", "layers": [{"type": "Linear", "in_features": 4, "out_features": 4}]},
           {"type": "Linear", "in_features": 4, "out_features": 3}]}
        """;

    public static readonly Lazy<IReadOnlyList<FuzzTarget>> All = new(Create);

    /// <summary>
    /// Limits scaled to the seeds for readers that build models: within the default limits a 100-byte spec may
    /// rightly ask for 2 GB of weights, so its allocation is bounded by the limits, not by its size. Fuzzed under
    /// these, every input's allocation must stay within the runner's multiple of its size, which shows the limits
    /// are checked before anything is allocated.
    /// </summary>
    public static readonly ReaderLimits Fuzz = ReaderLimits.Default with { MaxTotalParameters = 1 << 20, MaxActivationElements = 1 << 20, MaxInputElements = 1 << 16 };

    private static IReadOnlyList<FuzzTarget> Create()
    {
        Rng.ManualSeed(1);
        var modelFiles = new[] { TinySpec, ConvSpec, TextSpec }.Select(s => ModelBytes(s, checkpoint: false))
            .Concat([ModelBytes(TinySpec, checkpoint: true), ModelBytes(ConvSpec, checkpoint: true)]).ToList();
        var specs = new[] { TinySpec, ConvSpec, TextSpec }.Select(Encoding.UTF8.GetBytes).ToList();
        byte[] images = Idx(0x803, [2, 3, 3], Enumerable.Range(0, 18).Select(i => (byte)(i * 14)).ToArray());
        byte[] labels = Idx(0x801, [5], [0, 1, 2, 3, 4]);
        byte[] brown = Encoding.UTF8.GetBytes("\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd ./.\n\n\t``/`` Only/rb a/at relative/jj handful/nn ''/'' ./.\n\tHe/pps was/bedz n't/*-hl there/rb ,/, fw-in+at-t/fw-in+at-t\n");
        byte[] mail = Encoding.UTF8.GetBytes("From: a@b.c\nSubject: hi\nContent-Type: multipart/alternative; boundary=\"XX\"\n\n--XX\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nHello =3D world=\n again\n--XX\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\nPGI+aGk8L2I+\n--XX--\n");
        byte[] plainMail = Encoding.UTF8.GetBytes("Subject: x\n\nJust a body, line one.\nLine two.\n");
        byte[] vocabulary = Encoding.UTF8.GetBytes("[\"<pad>\", \"<unk>\", \"the\", \"cat\", \"é\", \"\\u00e9t\\u00e9\"]");
        var onnx = OnnxSeeds();
        var pngs = new[] { Png(4, 3, (x, y) => (byte)(x * 60 + y)), Png(4, 3, (x, y) => (byte)(255 - x * y)) };

        return
        [
            new("safetensors", modelFiles, (b, _) => Safetensors.Read(b), "st-"),
            new("model-file", modelFiles, (b, path) => { File.WriteAllBytes(path, b); ModelFile.Load(path, Fuzz); }, "model-"),
            new("spec-json", specs, (b, _) => { var spec = ModelSpec.Parse(Encoding.UTF8.GetString(b), "fuzz.json", Fuzz); spec.Build(Fuzz); spec.ToJson(); }, "spec-"),
            new("idx-raw", [images, labels], (b, _) => Loom.Data.Idx.Read(new MemoryStream(b), "fuzz.idx"), "idx-raw-"),
            new("idx-gzip", [Gzip(images), Gzip(labels)], (b, _) => Loom.Data.Idx.Read(new MemoryStream(b), "fuzz.idx.gz"), "idx-gzip-"),
            new("brown", [brown], (b, _) => BrownCorpus.Read([("brown/ca01", b)], baseTags: true), "brown-"),
            new("mail", [mail, plainMail], (b, _) => MailFolder.Read([("spam-1/0001.abc", b)]), "mail-"),
            new("vocabulary", [vocabulary], (b, _) => Vocabulary.Parse(b, "fuzz-vocab.json"), "vocab-"),
            new("png", pngs, (b, _) => PredictCommand.ReadGrayscale("fuzz.png", b, 4, 3, "model 'm'", ReaderLimits.Default), "png-"),
            new("wav", WavSeeds(), (b, _) => Loom.Audio.WavReader.Read(b, "fuzz.wav"), "wav-"),
            new("spoken-manifest", [Encoding.UTF8.GetBytes(SpokenManifest)], (b, _) => SpokenPhrasesManifest.Parse(Encoding.UTF8.GetString(b), "fuzz/manifest.tsv"), "spoken-"),
            new("tar-gz", [TarGzOf(("brown/ca01", brown), ("spam-1/0001", plainMail))], (b, _) => TarGz.ReadFiles(new MemoryStream(b), "fuzz.tar.gz"), "targz-"),
            new("onnx", onnx, ReadOnnx, "onnx-"),
            new("onnx-graph", onnx, ReadOnnx, "onnx-graph-", OnnxMutator.Apply),
            new("moby-dick", MobyDickSeeds(), (b, _) => ReadMobyDick(b), "moby-"),
            new("language-id", LanguageIdSeeds(), ReadWordLists, "langid-"),
        ];
    }

    /// <summary>
    /// The ONNX targets' limits: a Loom export is rebuilt from its spec before its initializers are read, so, as for
    /// a spec, its allocation is bounded by the limits (scaled here to the seeds, a few hundred weights each), not by
    /// its size.
    /// </summary>
    public static readonly ReaderLimits OnnxFuzz = Fuzz with { MaxTotalParameters = 1 << 18, MaxActivationElements = 1 << 18 };

    private static void ReadOnnx(byte[] bytes, string scratch)
    {
        string path = scratch + ".onnx";
        File.WriteAllBytes(path, bytes);
        OnnxImport.Load(path, OnnxFuzz);
    }

    private const string GruSpec = """
        {"name": "gru", "task": "classify", "tokenizer": "char", "vocabulary": ["<pad>", "<unk>", "a", "b", "c"], "input_shape": [6], "classes": 2,
         "layers": [{"type": "Embedding", "num_embeddings": 5, "embedding_dim": 3, "padding_idx": 0},
           {"type": "GRU", "input_size": 3, "hidden_size": 4, "return_sequences": false}, {"type": "Linear", "in_features": 4, "out_features": 2}]}
        """;

    /// <summary>
    /// ONNX seeds: Loom's own export of the fuzz specs (the spec in the metadata: rebuilt and filled from the
    /// initializers), and the same graphs without their spec where the node-by-node reader takes them (what a file
    /// from another exporter goes through).
    /// </summary>
    private static IReadOnlyList<byte[]> OnnxSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (string json in new[] { TinySpec, ConvSpec, TextSpec, GruSpec })
        {
            var spec = ModelSpec.Parse(json, "seed");
            var model = spec.Build();
            model.Eval();
            byte[] bytes = OnnxExport.ToBytes(model, spec);
            seeds.Add(bytes);
            var proto = OnnxModelProto.Parse(bytes);
            proto.Metadata.Clear();
            byte[] bare = proto.ToBytes();
            string path = Path.Combine(Path.GetTempPath(), $"loom-fuzz-seed-{Guid.NewGuid():N}.onnx");
            try
            {
                File.WriteAllBytes(path, bare);
                OnnxImport.Load(path, OnnxFuzz);
                seeds.Add(bare);
            }
            catch (InvalidDataException) { } // a Loom layer the node reader does not rebuild (a Residual, say): the spec seed covers it
            finally { File.Delete(path); }
        }
        return seeds;
    }

    /// <summary>
    /// Several files in one input: each starts with a line "@@ name", the bytes up to the next such line are its
    /// contents. A mutant may so change names as well as contents, drop a file or add one.
    /// </summary>
    internal static List<(string Name, byte[] Bytes)> SplitFiles(byte[] input)
    {
        var files = new List<(string, byte[])>();
        ReadOnlySpan<byte> rest = input, marker = "@@ "u8;
        if (!rest.StartsWith(marker)) return [("", input)];
        while (rest.Length > 0)
        {
            rest = rest[marker.Length..];
            int eol = rest.IndexOf((byte)'\n');
            string name = Encoding.UTF8.GetString(eol < 0 ? rest : rest[..eol]);
            rest = eol < 0 ? [] : rest[(eol + 1)..];
            int next = rest.IndexOf("\n@@ "u8);
            files.Add((name, (next < 0 ? rest : rest[..next]).ToArray()));
            rest = next < 0 ? [] : rest[(next + 1)..];
        }
        return files;
    }

    private static byte[] Files(params (string Name, string Text)[] files) =>
        Encoding.UTF8.GetBytes(string.Concat(files.Select(f => $"@@ {f.Name}\n{f.Text}\n")).TrimEnd('\n'));

    /// <summary>The Moby-Dick reader on the files of one input, then the split and the character corpus its Load builds.</summary>
    private static void ReadMobyDick(byte[] input)
    {
        var documents = MobyDick.Read(SplitFiles(input).Select(f => ("moby-dick/data/" + f.Name, f.Bytes)), "fuzz/moby-dick");
        var (train, test) = MobyDick.Split(documents);
        if (train.Length > 0 && test.Length > 0)
            TextCorpus.LanguageModel(MobyDick.Name, "fuzz", "fuzz/moby-dick", TokenizerKind.Char, train, test);
    }

    private static IReadOnlyList<byte[]> MobyDickSeeds() =>
    [
        Files(("etymology.txt", "ETYMOLOGY.\n\n(Supplied by a Late Consumptive Usher to a Grammar School.)\n\nWHALE. * * * Sw. and Dan. HVAL."),
            ("extracts.txt", "EXTRACTS.\n\n\u201cAnd God created great whales.\u201d \u2014Genesis."),
            ("chapter_1.txt", "CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago\u2014never mind how long precisely\u2014having little or no money in my purse, I thought I would sail about a little.\r\nThere now is your insular city of the Manhattoes."),
            ("chapter_10.txt", "CHAPTER 10. A Bosom Friend.\n\nReturning to the Spouter-Inn from the Chapel, I found Queequeg there quite alone."),
            ("epilogue.txt", "Epilogue\n\n\u201cAnd I only am escaped alone to tell thee\u201d Job.")),
        Files(("chapter_2.txt", "CHAPTER 2. The Carpet-Bag.\n\nI stuffed a shirt or two into my old carpet-bag, tucked it under my arm, and started for Cape Horn and the Pacific.\n"),
            ("chapter_20.txt", "CHAPTER 20. All Astir.\n\nA day or two passed, and there was great activity aboard the Pequod."),
            ("contents.txt", "not a part of the book")),
    ];

    /// <summary>
    /// The language-identification reader: each file of one input is a word list (at most eight; the languages are
    /// the harness's names, as a caller passes them), read and sampled as <see cref="LanguageIdentification.Load"/> does.
    /// </summary>
    private static void ReadWordLists(byte[] input, string scratch)
    {
        var files = SplitFiles(input);
        while (files.Count < 2) files.Add(("", []));
        if (files.Count > 8) files = [.. files.Take(7), ("rest", [.. files.Skip(7).SelectMany(f => f.Bytes)])];
        var lists = new List<WordListFile>();
        for (int i = 0; i < files.Count; i++)
        {
            string path = $"{scratch}.words{i}";
            File.WriteAllBytes(path, files[i].Bytes);
            lists.Add(new WordListFile($"lang{i}", path));
        }
        LanguageIdentification.FromWordLists(lists, 40);
    }

    private static IReadOnlyList<byte[]> LanguageIdSeeds() =>
    [
        Files(("english", "A\nA's\nAachen\naardvark\naardvarks\nabacus\nabandon\nabandoned\nbutterfly\nwhale\nwhale's\nradio\ntaxi\nco-op\ne.g.\nthe"),
            ("german", "Aal\nAbend\nabends\nSchmetterling\nSchmetterlinge\nStra\u00dfe\n\u00e4hnlich\nradio\nTaxi\nWal\nder\ndie"),
            ("french", "abeille\nabri\u00e9\npapillon\nbaleine\n\u00e9t\u00e9\nl'eau\nradio\ntaxi\u00e9\nc\u0153ur")),
        Files(("dutch", "vlinder\r\nwalvis\r\nfiets\r\nhuis\r\nkaas\r\nijs\r\n"), ("italian", "farfalla\nbalena\ncasa\nformaggio\ngelato\nperch\u00e9"),
            ("spanish", "mariposa\nballena\ncasa\nqueso\nhelado\n\u00f1and\u00fa")),
    ];

    private const string SpokenManifest =
        "path\ttranscript\tvoice\tvariant\tspeed\tpitch\tsnr_db\tnoise\tsample_rate\tframes\tsplit\n" +
        "train/00000.wav\tgo left\ten-us\tm3\t150\t40\t12.5\tpink\t16000\t24000\ttrain\n" +
        "test/00000.wav\tseven oh two\ten-us-nyc\tf5\t200\t75\t5.0\twhite\t8000\t9001\ttest\n";

    /// <summary>WAV seeds: 16-bit mono as Loom writes it, 8-bit odd-sized, float stereo with a LIST chunk, extensible 24-bit, a streamed placeholder size.</summary>
    private static IReadOnlyList<byte[]> WavSeeds()
    {
        float[] tone = Enumerable.Range(0, 24).Select(i => MathF.Sin(i * 0.7f) * 0.6f).ToArray();
        byte[] pcm16 = Loom.Audio.WavWriter.ToBytes(tone, 16000);
        byte[] pcm8 = Loom.Audio.WavWriter.ToBytes(tone[..13], 8000, 8);
        byte[] floats = new byte[8 * 4];
        for (int i = 0; i < 8; i++) BitConverter.TryWriteBytes(floats.AsSpan(4 * i), tone[i]);
        byte[] stereoFloat = Loom.Tests.Audio.WavFiles.Riff(Loom.Tests.Audio.WavFiles.Chunk("LIST", [.. "INFOICMT"u8, 3, 0, 0, 0, .. "abc"u8, 0]),
            Loom.Tests.Audio.WavFiles.Chunk("fmt ", Loom.Tests.Audio.WavFiles.Fmt(3, 2, 44100, 32)), Loom.Tests.Audio.WavFiles.Chunk("data", floats));
        byte[] ext24 = Loom.Tests.Audio.WavFiles.Riff(Loom.Tests.Audio.WavFiles.Chunk("fmt ", Loom.Tests.Audio.WavFiles.FmtExtensible(1, 3, 48000, 24, 24)),
            Loom.Tests.Audio.WavFiles.Chunk("data", Enumerable.Range(0, 27).Select(i => (byte)(i * 9)).ToArray()));
        byte[] streamed = (byte[])pcm16.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(streamed.AsSpan(40), 0x7FFFF000);
        return [pcm16, pcm8, stereoFloat, ext24, streamed];
    }

    private static byte[] ModelBytes(string specJson, bool checkpoint)
    {
        var spec = ModelSpec.Parse(specJson, "seed");
        var model = spec.Build();
        var tensors = model.StateDict().ToList();
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["loom.spec"] = spec.ToJson(), ["loom.kind"] = checkpoint ? "checkpoint" : "model" };
        if (checkpoint)
        {
            foreach (var (name, value) in model.StateDict().Take(2)) tensors.Add(("optimizer.state.exp_avg." + name, Tensor.Ones(value.Shape)));
            meta["loom.optimizer"] = "adam"; meta["loom.optimizer.step"] = "12"; meta["loom.optimizer.lr"] = "0.001";
            meta["loom.epoch"] = "3"; meta["loom.scheduler.step"] = "3"; meta["loom.rng"] = "11,22,33,44";
            meta["loom.options"] = """{"optimizer": "adam", "momentum": "0.9"}"""; meta["loom.history"] = """[{"epoch": 1, "loss": 0.5}]""";
        }
        var integers = tensors.Where(t => t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Select(t => t.Name).ToHashSet();
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, meta, integers);
        return stream.ToArray();
    }

    private static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var b = new List<byte> { 0, 0, (byte)(magic >> 8), (byte)magic };
        foreach (int d in dims) b.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        b.AddRange(data);
        return [.. b];
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static byte[] TarGzOf(params (string Name, byte[] Bytes)[] files)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
            foreach (var (name, bytes) in files)
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
        return Gzip(tar.ToArray());
    }

    private static byte[] Png(int width, int height, Func<int, int, byte> pixel)
    {
        string path = Path.Combine(Path.GetTempPath(), $"loom-fuzz-seed-{Guid.NewGuid():N}.png");
        try
        {
            Cli.PngWriter.WriteGray(path, width, height, pixel);
            return File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
    }
}
