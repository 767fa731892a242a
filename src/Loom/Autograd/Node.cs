namespace Loom.Autograd;

/// <summary>
/// One recorded operation: the inputs it read and the closure that, given the gradient of its output,
/// adds the gradients of its inputs into their buffers (<see cref="Tensor.GradBuffer"/>). Its name (the op's,
/// e.g. "Conv2d") is what a printed tensor shows as its <c>grad_fn</c>.
/// </summary>
internal sealed class Node(string name, Tensor[] inputs, Action<float[]> backward)
{
    public string Name { get; } = name;
    public Tensor[] Inputs { get; } = inputs;
    public Action<float[]> Backward { get; } = backward;
}
