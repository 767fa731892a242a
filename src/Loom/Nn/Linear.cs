namespace Loom.Nn;

/// <summary>Fully connected layer, y = x·Wᵀ + b. x: (…, inFeatures) → (…, outFeatures).</summary>
public sealed class Linear : Module, IReluFusible
{
    public Parameter Weight { get; }   // (outFeatures, inFeatures)
    public Parameter? Bias { get; }    // (outFeatures)
    public int InFeatures { get; }
    public int OutFeatures { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentException($"Linear: feature counts must be positive, got {inFeatures} → {outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Init.DefaultUniform(inFeatures, [outFeatures, inFeatures]));
        if (bias) Bias = RegisterParameter("bias", Init.DefaultUniform(inFeatures, [outFeatures]));
    }

    public override Tensor Forward(Tensor x) => Functional.Linear(x, Weight, Bias, Label);

    Tensor IReluFusible.ForwardRelu(Tensor x) => Functional.LinearRelu(x, Weight, Bias, Label, ReluFusedLabel);

    protected override bool DescriptionIsFixed => true;

    public override string Describe() => $"Linear(in_features={InFeatures}, out_features={OutFeatures}, bias={PyBool(Bias is not null)})";
}
