using System.Numerics.Tensors;

namespace Loom.Data;

/// <summary>
/// Fashion-MNIST (Zalando, MIT): 28×28 grey-scale images of clothing in 10 balanced classes,
/// 60 000 for training and 10 000 for testing. Images load as floats in [0, 1] (pixel / 255, as
/// torchvision's <c>ToTensor</c>), features (N, 1, 28, 28), labels (N) in 0..9.
/// </summary>
/// <remarks>
/// <see cref="LoadMini"/> needs no files: a balanced 6000/1000 subset is embedded in the assembly.
/// <see cref="Load"/> reads the upstream gzip IDX files (or decompressed ones) from a directory, or
/// finds them where Debian's <c>dataset-fashion-mnist</c> package or <see cref="Download"/> put them.
/// </remarks>
public static class FashionMnist
{
    /// <summary>Registry name of the full set.</summary>
    public const string Name = "fashion-mnist";

    /// <summary>Registry name of the embedded subset.</summary>
    public const string MiniName = "fashion-mnist-mini";

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Where the upstream files are served; the file names are appended.</summary>
    public const string UpstreamUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>Images per split of the full set.</summary>
    public const int TrainCount = 60000, TestCount = 10000;

    /// <summary>Images per split of the embedded subset (600 and 100 per class).</summary>
    public const int MiniTrainCount = 6000, MiniTestCount = 1000;

    /// <summary>Image side in pixels.</summary>
    public const int ImageSize = 28;

    public const string TrainImagesFile = "train-images-idx3-ubyte";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";
    public const string TestImagesFile = "t10k-images-idx3-ubyte";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>The four files of the set, by their upstream names without ".gz".</summary>
    public static IReadOnlyList<string> FileNames { get; } = Array.AsReadOnly([TrainImagesFile, TrainLabelsFile, TestImagesFile, TestLabelsFile]);

    /// <summary>The class names; index = label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);

    /// <summary>Shape of one sample: (1, 28, 28).</summary>
    public static int[] SampleShape => [1, ImageSize, ImageSize];

    /// <summary>
    /// SHA-256 of each file's decompressed content (the upstream release, identical in Debian's
    /// recompressed copy), keyed by file name without ".gz".
    /// </summary>
    public static IReadOnlyDictionary<string, string> Sha256 { get; } = new Dictionary<string, string>
    {
        [TrainImagesFile] = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        [TrainLabelsFile] = "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        [TestImagesFile] = "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        [TestLabelsFile] = "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }.AsReadOnly();

    // LogicalName prefix of the embedded subset (see Loom.csproj).
    private const string MiniResourcePrefix = "Loom.Data.FashionMnistMini.";

    /// <summary>The embedded subset: (train 6000, test 1000), 600 and 100 images per class, features (N, 1, 28, 28) in [0, 1].</summary>
    public static (TensorDataset Train, TensorDataset Test) LoadMini()
    {
        var train = FromIdx(ReadResource(TrainImagesFile, Idx.ImagesMagic), ReadResource(TrainLabelsFile, Idx.LabelsMagic),
            Resource(TrainImagesFile), Resource(TrainLabelsFile));
        var test = FromIdx(ReadResource(TestImagesFile, Idx.ImagesMagic), ReadResource(TestLabelsFile, Idx.LabelsMagic),
            Resource(TestImagesFile), Resource(TestLabelsFile));
        return (train, test);
    }

    /// <summary>
    /// The full set: (train 60000, test 10000), features (N, 1, 28, 28) in [0, 1], labels (N).
    /// Looks in <paramref name="dataDir"/> only, if given; otherwise in <see cref="DebianDirectory"/>
    /// and then the user cache (<see cref="DataPaths.CacheRoot"/>/fashion-mnist). Each file may be raw or .gz.
    /// </summary>
    /// <exception cref="FileNotFoundException">The files are not there; the message lists what was looked for, where, and how to get them.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, or images and labels disagree.</exception>
    public static (TensorDataset Train, TensorDataset Test) Load(string? dataDir = null)
    {
        string dir = Find(dataDir) ?? throw NotFound(dataDir);
        string FileOf(string name) => FindFile(dir, name)!;
        string trainImages = FileOf(TrainImagesFile), trainLabels = FileOf(TrainLabelsFile);
        string testImages = FileOf(TestImagesFile), testLabels = FileOf(TestLabelsFile);
        var train = FromIdx(Idx.ReadImages(trainImages), Idx.ReadLabels(trainLabels), trainImages, trainLabels);
        var test = FromIdx(Idx.ReadImages(testImages), Idx.ReadLabels(testLabels), testImages, testLabels);
        return (train, test);
    }

    /// <summary>The directories <see cref="Load"/> searches, in order.</summary>
    public static IReadOnlyList<string> SearchDirectories(string? dataDir = null) =>
        dataDir is not null ? [dataDir] : [DebianDirectory, DataPaths.CacheDirectory(Name)];

    /// <summary>The first searched directory holding all four files, or null.</summary>
    public static string? Find(string? dataDir = null)
    {
        foreach (string dir in SearchDirectories(dataDir))
            if (MissingFiles(dir).Count == 0) return dir;
        return null;
    }

    /// <summary>Where the full set is (if anywhere) and its sample counts, read from the file headers.</summary>
    public static DatasetInfo Info(string? dataDir = null)
    {
        var searched = SearchDirectories(dataDir);
        string? dir = Find(dataDir);
        int train = 0, test = 0;
        if (dir is not null)
        {
            train = Idx.ReadDims(FindFile(dir, TrainImagesFile)!, Idx.ImagesMagic)[0];
            test = Idx.ReadDims(FindFile(dir, TestImagesFile)!, Idx.ImagesMagic)[0];
        }
        return new DatasetInfo(Name, "Fashion-MNIST: 28×28 clothing images, 10 classes (Zalando, MIT)",
            dir, train, test, SampleShape, ClassNames, searched);
    }

    /// <summary>What is known about the embedded subset.</summary>
    public static DatasetInfo MiniInfo() =>
        new(MiniName, "Fashion-MNIST subset embedded in Loom: 600 train and 100 test images per class",
            "embedded", MiniTrainCount, MiniTestCount, SampleShape, ClassNames, []);

    /// <summary>
    /// Downloads the four upstream .gz files into <paramref name="cacheDir"/> (default
    /// <see cref="DataPaths.CacheRoot"/>/fashion-mnist) and returns that directory. Each file is
    /// written to a temporary name, checked against <see cref="Sha256"/> and renamed; files already
    /// present and valid are kept, damaged ones are replaced. A checksum mismatch deletes the
    /// download and throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static string Download(string? cacheDir = null) => DownloadAsync(cacheDir).GetAwaiter().GetResult();

    /// <inheritdoc cref="Download"/>
    public static async Task<string> DownloadAsync(string? cacheDir = null, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        string dir = cacheDir ?? DataPaths.CacheDirectory(Name);
        Directory.CreateDirectory(dir);
        using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        for (int i = 0; i < FileNames.Count; i++)
        {
            string name = FileNames[i];
            if (FindFile(dir, name) is string existing)
            {
                try
                {
                    VerifyChecksum(existing);
                    continue;
                }
                catch (InvalidDataException)
                {
                    // A damaged copy would shadow the download (Load prefers the raw name), so it goes.
                    File.Delete(existing);
                }
            }
            await Downloader.DownloadVerifiedAsync(client, new Uri(UpstreamUrl + name + ".gz"), Path.Combine(dir, name + ".gz"),
                Sha256[name], progress, i, FileNames.Count, cancellation).ConfigureAwait(false);
        }
        return dir;
    }

    /// <summary>
    /// Checks a Fashion-MNIST file (raw or .gz, named as upstream) against its published content
    /// checksum in <see cref="Sha256"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The file name is not one of the four Fashion-MNIST files.</exception>
    /// <exception cref="InvalidDataException">The checksum differs; the message names the file and both checksums.</exception>
    public static void VerifyChecksum(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string name = Path.GetFileName(path);
        if (name.EndsWith(".gz", StringComparison.Ordinal)) name = name[..^3];
        if (!Sha256.TryGetValue(name, out string? expected))
            throw new ArgumentException($"{path} is not a Fashion-MNIST file; known names: {string.Join(", ", FileNames)} (optionally .gz).", nameof(path));
        FileChecksum.Verify(path, expected);
    }

    /// <summary>Verifies all four files of the set found by <see cref="Find"/>; returns their directory.</summary>
    public static string Verify(string? dataDir = null)
    {
        string dir = Find(dataDir) ?? throw NotFound(dataDir);
        foreach (string name in FileNames) VerifyChecksum(FindFile(dir, name)!);
        return dir;
    }

    /// <summary>
    /// Builds a data set from an IDX image file (N, rows, cols) and label file (N): features
    /// (N, 1, rows, cols) = pixel / 255, labels as floats. Names are for error messages.
    /// </summary>
    internal static TensorDataset FromIdx(IdxArray images, IdxArray labels, string imagesName, string labelsName)
    {
        if (images.Dims.Length != 3)
            throw new InvalidDataException($"{imagesName}: images need 3 dimensions (N, rows, cols), found {ShapeUtil.Format(images.Dims)}.");
        if (labels.Dims.Length != 1)
            throw new InvalidDataException($"{labelsName}: labels need 1 dimension (N), found {ShapeUtil.Format(labels.Dims)}.");
        int n = images.Dims[0];
        if (labels.Dims[0] != n)
            throw new InvalidDataException($"{labelsName} has {labels.Dims[0]} labels but {imagesName} has {n} images.");

        var labelBytes = labels.Data;
        var targets = new float[n];
        for (int i = 0; i < n; i++)
        {
            byte label = labelBytes[i];
            if (label >= ClassNames.Count)
                throw new InvalidDataException($"{labelsName}: label {label} of sample {i} is not a class in 0..{ClassNames.Count - 1}.");
            targets[i] = label;
        }

        var pixels = new float[images.Data.Length];
        // Division rather than multiplication by 1/255 gives the same floats as torchvision's ToTensor.
        TensorPrimitives.ConvertChecked<byte, float>(images.Data, pixels);
        TensorPrimitives.Divide(pixels, 255f, pixels);
        var features = new Tensor(pixels, n, 1, images.Dims[1], images.Dims[2]);
        return new TensorDataset(features, new Tensor(targets, n), ClassNames.Count);
    }

    /// <summary>The path of <paramref name="name"/> or <paramref name="name"/>.gz in <paramref name="dir"/>, preferring the raw file (faster to read); null if neither exists.</summary>
    internal static string? FindFile(string dir, string name)
    {
        string raw = Path.Combine(dir, name);
        if (File.Exists(raw)) return raw;
        string gz = raw + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    private static List<string> MissingFiles(string dir)
    {
        var missing = new List<string>();
        foreach (string name in FileNames)
            if (FindFile(dir, name) is null) missing.Add(name);
        return missing;
    }

    private static FileNotFoundException NotFound(string? dataDir)
    {
        var lines = new List<string>();
        if (dataDir is not null)
            lines.Add($"Fashion-MNIST was not found in {dataDir}: missing {string.Join(", ", MissingFiles(dataDir).Select(f => f + "[.gz]"))}.");
        else
        {
            lines.Add("Fashion-MNIST was not found. Looked for " + string.Join(", ", FileNames.Select(f => f + "[.gz]")) + " in:");
            foreach (string dir in SearchDirectories(null)) lines.Add($"  {dir}");
        }
        lines.Add("Get it with `apt-get install dataset-fashion-mnist` (installs to " + DebianDirectory + ")");
        lines.Add($"or `loom data download fashion-mnist` (downloads to {DataPaths.CacheDirectory(Name)}),");
        lines.Add("or pass the directory that holds the files; `fashion-mnist-mini` is built in and needs no files.");
        return new FileNotFoundException(string.Join(Environment.NewLine, lines), dataDir is null ? null : Path.Combine(dataDir, TrainImagesFile));
    }

    private static string Resource(string file) => MiniResourcePrefix + file + ".gz";

    private static IdxArray ReadResource(string file, int magic)
    {
        string name = Resource(file);
        var assembly = typeof(FashionMnist).Assembly;
        using Stream stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException(
                $"Embedded resource {name} is missing from {assembly.GetName().Name}; present: {string.Join(", ", assembly.GetManifestResourceNames())}.");
        return Idx.Read(stream, $"{MiniName}/{file}.gz (embedded)", magic);
    }
}
