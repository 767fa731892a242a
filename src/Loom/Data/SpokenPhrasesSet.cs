using System.Collections.Concurrent;
using Loom.Audio;
using Loom.IO;

namespace Loom.Data;

/// <summary>
/// A loaded spoken-phrases set: every clip of its manifest, and its audio on demand as 16 kHz mono samples (read
/// from the folder's WAV files, or from the bytes of the embedded archive, and resampled when stored at another rate).
/// Reading is thread-safe: loaders may call <see cref="ReadSamples"/> from many threads.
/// </summary>
public sealed class SpokenPhrasesSet
{
    private readonly Func<string, byte[]> _open;
    private readonly ConcurrentDictionary<int, Resampler> _resamplers = new();

    /// <summary>The folder the set was read from, or "embedded".</summary>
    public string Location { get; }

    /// <summary>Every clip, in manifest order.</summary>
    public IReadOnlyList<SpokenPhrasesClip> Clips { get; }

    private SpokenPhrasesSet(string location, List<SpokenPhrasesClip> clips, Func<string, byte[]> open)
    {
        Location = location;
        Clips = clips.AsReadOnly();
        _open = open;
    }

    /// <summary>The clips of split <paramref name="split"/> ("train", "val" or "test"), in manifest order.</summary>
    public IReadOnlyList<SpokenPhrasesClip> Split(string split)
    {
        if (!SpokenPhrasesManifest.Splits.Contains(split)) throw new ArgumentException($"Unknown split '{split}'; the splits are train, val and test.", nameof(split));
        return Clips.Where(c => c.Split == split).ToList().AsReadOnly();
    }

    /// <summary>The speakers (voice+variant) of split <paramref name="split"/>, sorted.</summary>
    public IReadOnlyList<string> Speakers(string split) => Split(split).Select(c => c.Speaker).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Samples of <paramref name="clip"/> at 16 kHz (without reading it): its frames resampled.</summary>
    public static int LengthAt16k(SpokenPhrasesClip clip) =>
        clip.SampleRate == SpokenPhrases.SampleRate ? clip.Frames
            : (int)(((long)clip.Frames * SpokenPhrases.SampleRate + clip.SampleRate - 1) / clip.SampleRate);

    /// <summary>
    /// The audio of <paramref name="clip"/>: (LengthAt16k(clip)) mono samples at 16 kHz.
    /// </summary>
    /// <exception cref="FileNotFoundException">The clip's file is gone.</exception>
    /// <exception cref="InvalidDataException">The file is not a WAV file Loom reads, or disagrees with the manifest (rate, length), named.</exception>
    public float[] ReadSamples(SpokenPhrasesClip clip)
    {
        string source = Location == "embedded" ? $"{clip.Path} (embedded {SpokenPhrases.MiniName})" : Path.Combine(Location, clip.Path);
        var audio = WavReader.Read(_open(clip.Path), source);
        if (audio.SampleRate != clip.SampleRate || audio.Samples.Length != clip.Frames)
            throw new InvalidDataException($"{ErrorText.Clean(source)} holds {audio.Samples.Length} frames at {audio.SampleRate} Hz but the manifest says {clip.Frames} at {clip.SampleRate} Hz.");
        if (audio.SampleRate == SpokenPhrases.SampleRate) return audio.Samples;
        var resampler = _resamplers.GetOrAdd(audio.SampleRate, rate => new Resampler(rate, SpokenPhrases.SampleRate));
        return resampler.Process(audio.Samples);
    }

    /// <summary>Split <paramref name="split"/> as a data set of (samples, character ids) for training; see <see cref="SpokenPhrasesDataset"/>.</summary>
    public SpokenPhrasesDataset Dataset(string split) => new(this, Split(split));

    /// <summary>Seconds of audio in split <paramref name="split"/>, from the manifest.</summary>
    public double Seconds(string split) => Split(split).Sum(c => c.Seconds);

    internal DatasetInfo Info(string name, IReadOnlyList<string> searched)
    {
        var train = Split("train");
        var test = Split("test");
        int longest = Clips.Count == 0 ? 0 : Clips.Max(LengthAt16k);
        string description = $"Spoken phrases (espeak-ng): {Clips.Count:N0} clips, {Clips.Sum(c => c.Seconds) / 3600:0.00} h, " +
            $"{Speakers("train").Count} train / {Speakers("val").Count} val / {Speakers("test").Count} test speakers";
        return new DatasetInfo(name, description, Location, train.Count, test.Count, [longest], SpokenPhrases.ClassNames, searched);
    }

    /// <summary>The set in folder <paramref name="dir"/> (its manifest.tsv and the WAV files it lists, which must all be there).</summary>
    internal static SpokenPhrasesSet FromFolder(string dir)
    {
        string manifest = Path.Combine(dir, SpokenPhrasesManifest.FileName);
        var info = new FileInfo(manifest);
        ReaderLimits.Check(info.Length, ReaderLimits.Default.MaxJsonBytes, "the manifest's size in bytes", nameof(ReaderLimits.MaxJsonBytes), ErrorText.Clean(manifest));
        var clips = SpokenPhrasesManifest.Parse(File.ReadAllText(manifest), manifest);
        var missing = clips.Where(c => !File.Exists(Path.Combine(dir, c.Path))).Select(c => c.Path).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{ErrorText.Clean(manifest)} lists {missing.Count} file(s) that are not in {ErrorText.Clean(dir)}: {ErrorText.List(missing)}.");
        CheckLengths(clips, manifest);
        return new SpokenPhrasesSet(dir, clips, path => File.ReadAllBytes(Path.Combine(dir, path)));
    }

    /// <summary>The set in the files of an archive: manifest.tsv and the WAV files it lists.</summary>
    internal static SpokenPhrasesSet FromFiles(List<(string RelativePath, byte[] Bytes)> files, string location, string source)
    {
        var byPath = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (path, bytes) in files) byPath[path] = bytes;
        if (!byPath.TryGetValue(SpokenPhrasesManifest.FileName, out var manifestBytes))
            throw new InvalidDataException($"{source} holds no {SpokenPhrasesManifest.FileName}.");
        string manifest = $"{source}: {SpokenPhrasesManifest.FileName}";
        var clips = SpokenPhrasesManifest.Parse(System.Text.Encoding.UTF8.GetString(manifestBytes), manifest);
        var missing = clips.Where(c => !byPath.ContainsKey(c.Path)).Select(c => c.Path).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{manifest} lists {missing.Count} file(s) the archive does not hold: {ErrorText.List(missing)}.");
        CheckLengths(clips, manifest);
        return new SpokenPhrasesSet(location, clips, path => byPath[path]);
    }

    // Rates a WAV file may have, and lengths a float array may take once at 16 kHz: a manifest is a claim too.
    private static void CheckLengths(List<SpokenPhrasesClip> clips, string manifest)
    {
        foreach (var c in clips)
        {
            if (c.SampleRate > WavReader.MaxSampleRate)
                throw new InvalidDataException($"{ErrorText.Clean(manifest)}: clip '{ErrorText.Clean(c.Path)}' has a sample rate of {c.SampleRate} Hz; expected 1 to {WavReader.MaxSampleRate}.");
            long length = ((long)c.Frames * SpokenPhrases.SampleRate + c.SampleRate - 1) / c.SampleRate;
            ReaderLimits.Check(length, ReaderLimits.Default.MaxWavBytes, $"clip '{ErrorText.Clean(c.Path)}''s length at 16 kHz in samples", nameof(ReaderLimits.MaxWavBytes), ErrorText.Clean(manifest));
        }
    }
}
