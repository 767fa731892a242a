namespace Loom.Autograd;

/// <summary>
/// One recorded operation: the inputs it read and the closure that, given the gradient of its output,
/// adds the gradients of its inputs into their buffers (<see cref="Tensor.GradBuffer"/>).
/// </summary>
internal sealed class Node(string name, Tensor[] inputs, Action<float[]> backward)
{
    public string Name { get; } = name;
    public Tensor[] Inputs { get; } = inputs;
    public Action<float[]> Backward { get; } = backward;
}
