namespace Loom.Nn;

/// <summary>max(0, x), element-wise; any shape.</summary>
public sealed class Relu : Module
{
    public override Tensor Forward(Tensor x) => Functional.Relu(x);
    public override string Describe() => "ReLU()";
}

/// <summary>x for x &gt; 0, negativeSlope·x otherwise; any shape.</summary>
public sealed class LeakyRelu(float negativeSlope = 0.01f) : Module
{
    public float NegativeSlope { get; } = negativeSlope;
    public override Tensor Forward(Tensor x) => Functional.LeakyRelu(x, NegativeSlope);
    public override string Describe() => $"LeakyReLU(negative_slope={NegativeSlope.ToString(System.Globalization.CultureInfo.InvariantCulture)})";
}

/// <summary>Hyperbolic tangent, element-wise; any shape.</summary>
public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor x) => Functional.Tanh(x);
}

/// <summary>Logistic sigmoid, element-wise; any shape.</summary>
public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor x) => Functional.Sigmoid(x);
}

/// <summary>Gaussian error linear unit (exact form), element-wise; any shape.</summary>
public sealed class Gelu : Module
{
    public override Tensor Forward(Tensor x) => Functional.Gelu(x);
    public override string Describe() => "GELU()";
}

/// <summary>Softmax along <c>dim</c> (default: the last).</summary>
public sealed class Softmax(int dim = -1) : Module
{
    public int Dim { get; } = dim;
    public override Tensor Forward(Tensor x) => Functional.Softmax(x, Dim);
    public override string Describe() => $"Softmax(dim={Dim})";
}

/// <summary>Log-softmax along <c>dim</c> (default: the last).</summary>
public sealed class LogSoftmax(int dim = -1) : Module
{
    public int Dim { get; } = dim;
    public override Tensor Forward(Tensor x) => Functional.LogSoftmax(x, Dim);
    public override string Describe() => $"LogSoftmax(dim={Dim})";
}
