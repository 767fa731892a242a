namespace Loom.Nn;

/// <summary>
/// A layer that can apply a following <see cref="Relu"/> itself, in the same pass as its own output
/// (<see cref="Conv2d"/>, <see cref="Linear"/>). <see cref="Sequential"/> fuses such a pair when nothing
/// observes the intermediate output; the result is the same, bit for bit, as running the two layers.
/// </summary>
internal interface IReluFusible
{
    /// <summary>ReLU(Forward(x)).</summary>
    Tensor ForwardRelu(Tensor x);
}
