using Loom.Audio;
using Loom.Data;
using Loom.Models;
using Loom.Nn;
using Loom.Serialization;
using Loom.Speech;
using Xunit;

namespace Loom.Tests.Speech;

/// <summary>
/// The pieces between speech features and CTC training: lengths mapped through the layers that change the steps,
/// SpecAugment and the frequency warp on (frames, bands) samples, the transcribe spec, the CTC objective's targets.
/// </summary>
public sealed class SpeechTrainingPartsTests
{
    [Theory]
    [InlineData(5, 2, 2, 1)]
    [InlineData(3, 1, 1, 2)]
    [InlineData(4, 3, 0, 1)]
    [InlineData(7, 2, 3, 1)]
    public void WindowLengthsMatchTheOutputOfAConvolutionOnTheSequenceAlone(int kernel, int stride, int padding, int dilation)
    {
        var conv = new Loom.Nn.Conv1d(2, 3, kernel, stride, padding, dilation);
        for (int length = 1; length <= 30; length++)
        {
            int expected = length + 2 * padding - dilation * (kernel - 1) - 1 < 0 ? 1 : conv.Forward(Tensor.Zeros(1, 2, length)).Shape[2];
            Assert.Equal(expected, conv.OutputLengths([length])[0]);
        }
    }

    [Fact]
    public void ASequentialMapsLengthsThroughEveryLayerAndTheRecurrentLayerReadsThem()
    {
        Rng.ManualSeed(2);
        var model = ModelZoo.Build("speech-crnn").Model;
        model.Eval();
        // Two clips of 37 and 100 frames in one batch: each must come out as it does alone.
        var x = Tensor.Zeros(2, 100, 40);
        var rng = new Rng(4);
        rng.FillUniform(x.Data, -1, 1);
        x.Data.AsSpan(37 * 40, 63 * 40).Clear();
        int[] lengths = [37, 100];
        Assert.Equal([10, 25], model.OutputLengths(lengths));
        var batch = model.Call(x, lengths);
        var alone = model.Call(new Tensor(x.Data.AsSpan(0, 37 * 40).ToArray(), 1, 37, 40), [37]);
        Assert.Equal(10, alone.Shape[1]);
        // Close, not equal: the last output frame's convolution window reaches past frame 37, where the batch holds the
        // front end's response to zeros and the lone clip holds padding (PyTorch's conv front ends do the same); the
        // backward GRU starts from that frame. Without the lengths it would start 15 frames of padding later.
        float gap = Enumerable.Range(0, 10 * 29).Max(i => MathF.Abs(alone.Data[i] - batch.Data[i]));
        Assert.True(gap < 0.01f, $"a clip in a batch should score as it does alone, differs by {gap}");
        var unmasked = model.Call(x);
        float unmaskedGap = Enumerable.Range(0, 10 * 29).Max(i => MathF.Abs(alone.Data[i] - unmasked.Data[i]));
        Assert.True(unmaskedGap > 2 * gap, $"without lengths the padding should change the outputs more ({unmaskedGap} against {gap})");
    }

    [Fact]
    public void SpecAugmentFramesFirstMasksBandsAndFramesInsideTheClip()
    {
        var augment = new SpecAugment(frequencyMasks: 1, maxFrequencyWidth: 3, timeMasks: 1, maxTimeWidth: 4, maxTimeFraction: 1f, framesFirst: true);
        for (int seed = 0; seed < 50; seed++)
        {
            var sample = Enumerable.Repeat(1f, 20 * 8).ToArray();
            augment.Apply(sample, [20, 8], 12, new Rng((ulong)seed));
            for (int t = 12; t < 20; t++)
                for (int f = 0; f < 8; f++) Assert.Equal(1f, sample[t * 8 + f]); // the padding frames are untouched
            // The masked bands are the same in every clip frame that is not time-masked.
            var bandMasked = Enumerable.Range(0, 8).Select(f => Enumerable.Range(0, 12).All(t => sample[t * 8 + f] == 0)).ToArray();
            Assert.True(bandMasked.Count(b => b) <= 3);
        }
    }

    [Fact]
    public void FrequencyWarpKeepsTheFramesAndIsTheIdentityWithoutStretch()
    {
        var sample = Enumerable.Range(0, 6 * 10).Select(i => (float)(i % 10)).ToArray();
        var copy = (float[])sample.Clone();
        new FrequencyWarp(0f).Apply(sample, [6, 10], 6, new Rng(1));
        Assert.Equal(copy, sample);
        new FrequencyWarp(0.2f).Apply(sample, [6, 10], 4, new Rng(3));
        for (int t = 0; t < 4; t++)
        {
            var frame = sample.AsSpan(t * 10, 10).ToArray();
            Assert.Equal(0f, frame[0]);
            Assert.All(frame.Zip(frame.Skip(1)), p => Assert.True(p.Second >= p.First)); // a ramp stays a ramp
            Assert.NotEqual(copy.AsSpan(t * 10, 10).ToArray(), frame);
        }
        Assert.Equal(copy.AsSpan(40).ToArray(), sample.AsSpan(40).ToArray()); // padding frames untouched
        Assert.Throws<ArgumentException>(() => new FrequencyWarp(0.1f).Apply(new float[10], [10], new Rng(1)));
    }

    [Fact]
    public void ATranscribeSpecRoundTripsItsAudioAndIsCheckedAgainstTheModelsOutputFrames()
    {
        Rng.ManualSeed(1);
        var built = ModelZoo.Build("speech-cnn");
        var again = ModelSpec.Parse(built.Spec.ToJson(), "round-trip");
        Assert.Equal(TaskKind.Transcribe, again.Task);
        Assert.Equal((16000, 40, 400, 160, true, 0.1f), (again.Audio!.SampleRate, again.Audio.NMels, again.Audio.NFft, again.Audio.HopLength, again.Audio.SpecAugment, again.Audio.FrequencyWarp));
        again.Check(again.Build());
        Assert.Contains("audio", Assert.Throws<InvalidDataException>(() => ModelSpec.Parse(
            """{"task": "transcribe", "input_shape": [100, 40], "classes": 29, "layers": []}""", "x")).Message);
        Assert.Contains("n_mels", Assert.Throws<InvalidDataException>(() => ModelSpec.Parse(
            """{"task": "transcribe", "input_shape": [100, 40], "classes": 29, "audio": {"n_mels": 0}, "layers": []}""", "x")).Message);
    }

    [Fact]
    public void CtcTargetsEndAtTheirPadding()
    {
        var targets = Tensor.FromArray(new float[,] { { 3, 4, IDataset.IgnoreTarget }, { 5, IDataset.IgnoreTarget, IDataset.IgnoreTarget }, { 1, 2, 3 } });
        Assert.Equal([2, 1, 3], CtcObjective.TargetLengths(targets));
        Assert.Throws<ArgumentException>(() => new CtcObjective().ModelLengths(new Batch(Tensor.Zeros(1, 4, 2), Tensor.Zeros(1, 2))));
    }
}
