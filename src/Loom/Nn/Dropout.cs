namespace Loom.Nn;

/// <summary>In training, zeroes each element with probability p and scales the rest by 1/(1−p); identity in eval.</summary>
public sealed class Dropout : Module
{
    public float P { get; }

    public Dropout(float p = 0.5f)
    {
        if (p < 0f || p >= 1f) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p must be in [0, 1), got {p}.");
        P = p;
    }

    public override Tensor Forward(Tensor x) => Functional.Dropout(x, P, Training);
    public override string Describe() => $"Dropout(p={P.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
}
