using System.Globalization;

namespace Loom.Nn;

/// <summary>
/// Pads the last dimension with a constant, as PyTorch's <c>nn.ConstantPad1d((left, right), value)</c>:
/// x: (N, C, L) → (N, C, left + L + right).
/// </summary>
public sealed class Pad1d : Module
{
    public int Left { get; }
    public int Right { get; }
    public float Value { get; }

    public Pad1d(int left, int right, float value = 0f)
    {
        if (left < 0 || right < 0) throw new ArgumentException($"Pad1d: padding must be non-negative, got left={left}, right={right}.");
        (Left, Right, Value) = (left, right, value);
    }

    public override Tensor Forward(Tensor x) => Functional.Pad1d(x, Left, Right, Value, Label);

    /// <summary>Each sequence's steps as if it were padded alone: left + L + right (so a full-length one maps to the output's length).</summary>
    public override int[] OutputLengths(int[] lengths) => Array.ConvertAll(lengths, l => l + Left + Right);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"ConstantPad1d(padding=({Left}, {Right}), value={Value})");
}
