using System.Globalization;
using Loom.Serialization;
using Xunit;

namespace Loom.Tests.Audio;

/// <summary>
/// The reference features in <c>Fixtures/audio/features.safetensors</c>, written by <c>tools/make_audio_fixtures.py</c>
/// (torch.stft, torch.fft and the mel/DCT definitions in numpy, all in float64 rounded once to float32). Tensors are
/// named <c>case/what</c>; each case's parameters are metadata <c>case.key</c>. Read once per test run.
/// </summary>
internal sealed class AudioFixture
{
    private static readonly Lazy<AudioFixture> Shared = new(() => new AudioFixture());

    private readonly Dictionary<string, Tensor> _tensors;
    private readonly IReadOnlyDictionary<string, string> _metadata;

    public IReadOnlyList<string> Cases { get; }

    public static AudioFixture Instance => Shared.Value;

    private AudioFixture()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "audio", "features.safetensors");
        if (!File.Exists(path)) throw new FileNotFoundException($"Audio fixture '{path}' is missing; regenerate with /usr/bin/python3 tools/make_audio_fixtures.py.", path);
        var contents = Safetensors.Load(path);
        _tensors = contents.ToDictionary();
        _metadata = contents.Metadata;
        Cases = _metadata["cases"].Split(',');
    }

    /// <summary>The cases whose name starts with <paramref name="prefix"/>, as theory data.</summary>
    public static TheoryData<string> CasesOf(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var c in Instance.Cases) if (c.StartsWith(prefix, StringComparison.Ordinal)) data.Add(c);
        return data;
    }

    public Tensor Get(string @case, string what) =>
        _tensors.TryGetValue(@case + "/" + what, out var t) ? t.Clone() : throw new KeyNotFoundException($"Audio fixture has no tensor '{@case}/{what}'.");

    public string Meta(string @case, string key) =>
        _metadata.TryGetValue(@case + "." + key, out var v) ? v : throw new KeyNotFoundException($"Audio fixture has no metadata '{@case}.{key}'.");

    public int Int(string @case, string key) => int.Parse(Meta(@case, key), CultureInfo.InvariantCulture);

    public double Double(string @case, string key) => double.Parse(Meta(@case, key), CultureInfo.InvariantCulture);

    /// <summary>The test clip: 6437 samples at 16 kHz (a chirp with harmonics and a little noise).</summary>
    public float[] Clip => Get("clip", "x").Data;
}
