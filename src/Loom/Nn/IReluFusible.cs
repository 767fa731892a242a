namespace Loom.Nn;

/// <summary>
/// A layer that can apply a following <see cref="Relu"/> itself, in the same pass as its own output
/// (<see cref="Conv2d"/>, <see cref="Linear"/>). A <see cref="LayerChain"/> plans such a pair as one op unless a
/// forward hook watches either layer; the result is the same, bit for bit, as running the two layers.
/// </summary>
internal interface IReluFusible
{
    /// <summary>ReLU(Forward(x)).</summary>
    Tensor ForwardRelu(Tensor x);
}
