using Loom.Data;
using Loom.Serialization;
using Loom.Speech;

namespace Loom.Recipes;

/// <summary>
/// Spoken phrases for a transcriber: the named set (spoken-phrases, spoken-phrases-mini, or a folder holding a
/// manifest.tsv) with every split's clips turned into the features the model's spec states, once. The held-out
/// voices' validation split, when the set has one, chooses the epoch kept; the test split measures it.
/// </summary>
public static class SpeechData
{
    /// <exception cref="ArgumentException">The name is not speech, or the spec states no features.</exception>
    /// <exception cref="InvalidDataException">A clip is unreadable or longer than the model's input.</exception>
    public static TrainTestSets Load(ModelSpec spec, string data, string? dataDir)
    {
        var frontEnd = spec.Audio ?? throw new ArgumentException($"Model '{spec.Name}' transcribes but its spec states no audio features (\"audio\").");
        var set = data switch
        {
            SpokenPhrases.MiniName => SpokenPhrases.LoadMini(),
            SpokenPhrases.Name => SpokenPhrases.Load(dataDir),
            _ when Directory.Exists(data) => SpokenPhrases.Load(data),
            _ => throw new ArgumentException($"Model '{spec.Name}' transcribes speech: train it on {SpokenPhrases.Name}, {SpokenPhrases.MiniName} or a folder with a manifest.tsv, not '{data}'."),
        };
        SpeechFeatureDataset Split(string split) => new(set.Dataset(split), frontEnd, spec.InputShape[0], $"{data} ({split})");
        var validation = set.Split("val").Count > 0 ? Split("val") : null;
        return new TrainTestSets(data, Split("train"), Split("test"), [.. SpokenPhrases.ClassNames]) { Validation = validation };
    }
}
