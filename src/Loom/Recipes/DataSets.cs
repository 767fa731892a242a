using Loom.Data;
using Loom.Serialization;

namespace Loom.Recipes;

/// <summary>A data set's train and test splits under the name reports show, with class names when the data has them.</summary>
public sealed record TrainTestSets(string Name, IDataset Train, IDataset Test, string[]? ClassNames)
{
    /// <summary>A held-out split of the data's own (the spoken phrases' validation voices), which chooses the epoch kept; null when it has none.</summary>
    public IDataset? Validation { get; init; }
}

/// <summary>
/// Named image data for a run: a built-in data set (fashion-mnist, fashion-mnist-mini) or a folder of IDX files,
/// the check that a model takes its samples, and the preprocessing a spec asks for.
/// </summary>
public static class DataSets
{
    /// <summary>Loads a built-in image data set by name, or the IDX files of a folder.</summary>
    /// <exception cref="ArgumentException">An unknown name or a missing folder, named.</exception>
    public static TrainTestSets Load(string data, string? dataDir)
    {
        if (Directory.Exists(data))
        {
            var (train, test) = FashionMnist.Load(data);
            return new TrainTestSets(data, train, test, null);
        }
        if (data.Contains('/') || data.Contains('\\'))
            throw new ArgumentException($"Data folder '{data}' does not exist.");
        var (trainSet, testSet) = DatasetRegistry.Load(data, dataDir);
        return new TrainTestSets(data, trainSet, testSet, data.StartsWith("fashion-mnist", StringComparison.Ordinal) ? FashionMnist.ClassNames.ToArray() : null);
    }

    /// <summary>Checks that the data's samples have the shape the model takes.</summary>
    /// <exception cref="InvalidDataException">The shapes or class counts differ; the message names both.</exception>
    public static void CheckFits(ModelSpec spec, IDataset data, string dataName)
    {
        if (!data.SampleShape.AsSpan().SequenceEqual(spec.InputShape))
            throw new InvalidDataException($"Model '{spec.Name}' takes samples of shape ({string.Join(", ", spec.InputShape)}) but '{dataName}' has ({string.Join(", ", data.SampleShape)}).");
        if (data.ClassCount > spec.Classes)
            throw new InvalidDataException($"Model '{spec.Name}' predicts {spec.Classes} classes but '{dataName}' has {data.ClassCount}.");
    }

    /// <summary>The transforms a spec asks for: augmentation in training only, then normalisation.</summary>
    public static List<ITransform> Preprocessing(ModelSpec spec, bool training)
    {
        var transforms = new List<ITransform>();
        if (training && spec.RandomCropPadding > 0) transforms.Add(new RandomCrop(spec.InputShape[^1], spec.RandomCropPadding));
        if (training && spec.HorizontalFlip) transforms.Add(new RandomHorizontalFlip());
        if (spec.NormalizeMean is not null && spec.NormalizeStd is not null) transforms.Add(new Normalize(spec.NormalizeMean, spec.NormalizeStd));
        // Features are normalised per utterance when they are made; masking is training's only transform of them. A
        // phrase's word lasts about 30 frames, so a time mask is kept to 10 (100 ms: part of a syllable, never a whole
        // word the transcript still names); two bands of up to an eighth of the mels.
        if (training && spec.Audio is { FrequencyWarp: > 0 } warped) transforms.Add(new Audio.FrequencyWarp(warped.FrequencyWarp));
        if (training && spec.Audio is { SpecAugment: true } audio)
            transforms.Add(new Audio.SpecAugment(maxFrequencyWidth: Math.Max(1, audio.NMels / 8), maxTimeWidth: 10, maxTimeFraction: 0.2f, framesFirst: true));
        return transforms;
    }
}
