namespace Loom.Data;

/// <summary>What is known about a named data set without loading it.</summary>
/// <param name="Name">Registry name, e.g. "fashion-mnist".</param>
/// <param name="Description">One line for listings.</param>
/// <param name="Location">Directory the files were found in, "embedded" for sets inside the assembly, or null when not found.</param>
/// <param name="TrainCount">Training samples (from the file headers; 0 when not found).</param>
/// <param name="TestCount">Test samples (0 when not found).</param>
/// <param name="SampleShape">Shape of one sample, e.g. (1, 28, 28).</param>
/// <param name="ClassNames">Names of the classes, index = label.</param>
/// <param name="SearchedLocations">Directories looked in, in order.</param>
public sealed record DatasetInfo(
    string Name,
    string Description,
    string? Location,
    int TrainCount,
    int TestCount,
    int[] SampleShape,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<string> SearchedLocations)
{
    /// <summary>Whether the data are available locally (no download needed).</summary>
    public bool Found => Location is not null;

    public int ClassCount => ClassNames.Count;
}
