using Loom.Data;
using Loom.Serialization;

namespace Loom.Cli;

/// <summary>Resolves --data to train/test sets and builds loaders with the model's preprocessing.</summary>
internal static class DataSource
{
    public sealed record Sets(string Name, IDataset Train, IDataset Test, string[]? ClassNames);

    public static Sets Load(string data, string? dataDir)
    {
        if (Directory.Exists(data))
        {
            var (train, test) = FashionMnist.Load(data);
            return new Sets(data, train, test, null);
        }
        if (data.Contains('/') || data.Contains('\\'))
            throw new UserException($"Data folder '{data}' does not exist.");
        try
        {
            var (train, test) = DatasetRegistry.Load(data, dataDir);
            return new Sets(data, train, test, data.StartsWith("fashion-mnist", StringComparison.Ordinal) ? FashionMnist.ClassNames.ToArray() : null);
        }
        catch (ArgumentException e) { throw new UserException(e.Message); }
    }

    /// <summary>Checks that the data's samples have the shape the model takes.</summary>
    public static void CheckFits(ModelSpec spec, IDataset data, string dataName)
    {
        if (!data.SampleShape.AsSpan().SequenceEqual(spec.InputShape))
            throw new UserException($"Model '{spec.Name}' takes samples of shape ({string.Join(", ", spec.InputShape)}) but '{dataName}' has ({string.Join(", ", data.SampleShape)}).");
        if (data.ClassCount > spec.Classes)
            throw new UserException($"Model '{spec.Name}' predicts {spec.Classes} classes but '{dataName}' has {data.ClassCount}.");
    }

    public static List<ITransform> Preprocessing(ModelSpec spec, bool training)
    {
        var transforms = new List<ITransform>();
        if (training && spec.RandomCropPadding > 0) transforms.Add(new RandomCrop(spec.InputShape[^1], spec.RandomCropPadding));
        if (training && spec.HorizontalFlip) transforms.Add(new RandomHorizontalFlip());
        if (spec.NormalizeMean is not null && spec.NormalizeStd is not null) transforms.Add(new Normalize(spec.NormalizeMean, spec.NormalizeStd));
        return transforms;
    }
}
