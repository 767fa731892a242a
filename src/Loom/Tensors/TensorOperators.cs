namespace Loom;

// Operators and fluent forms of the common ops, so that models read like PyTorch: (x * w + b).Relu().
public partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Functional.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Functional.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Functional.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Functional.Div(a, b);
    public static Tensor operator +(Tensor a, float s) => Functional.AddScalar(a, s);
    public static Tensor operator -(Tensor a, float s) => Functional.AddScalar(a, -s);
    public static Tensor operator *(Tensor a, float s) => Functional.MulScalar(a, s);
    public static Tensor operator *(float s, Tensor a) => Functional.MulScalar(a, s);
    public static Tensor operator /(Tensor a, float s) => Functional.MulScalar(a, 1f / s);
    public static Tensor operator -(Tensor a) => Functional.Neg(a);

    public Tensor Reshape(params int[] shape) => Functional.Reshape(this, shape);
    public Tensor View(params int[] shape) => Functional.Reshape(this, shape);
    public Tensor Flatten(int startDim = 0, int endDim = -1) => Functional.Flatten(this, startDim, endDim);
    public Tensor Permute(params int[] dims) => Functional.Permute(this, dims);
    public Tensor Transpose(int dim0, int dim1) => Functional.Transpose(this, dim0, dim1);
    public Tensor MatMul(Tensor other) => Functional.MatMul(this, other);
    public Tensor Sum() => Functional.Sum(this);
    public Tensor Sum(int dim, bool keepDim = false) => Functional.Sum(this, dim, keepDim);
    public Tensor Mean() => Functional.Mean(this);
    public Tensor Mean(int dim, bool keepDim = false) => Functional.Mean(this, dim, keepDim);
    public Tensor Exp() => Functional.Exp(this);
    public Tensor Log() => Functional.Log(this);
    public Tensor Sqrt() => Functional.Sqrt(this);
    public Tensor Relu() => Functional.Relu(this);
    public Tensor Tanh() => Functional.Tanh(this);
    public Tensor Sigmoid() => Functional.Sigmoid(this);
    public Tensor Softmax(int dim = -1) => Functional.Softmax(this, dim);
    public Tensor LogSoftmax(int dim = -1) => Functional.LogSoftmax(this, dim);

    /// <summary>Index of the largest value in each row of a (…, C) tensor (rows are the last dimension).</summary>
    public int[] ArgMaxRows()
    {
        if (Rank < 2) throw new InvalidOperationException($"ArgMaxRows needs a (…, C) tensor, not {ShapeUtil.Format(Shape)}.");
        int c = Shape[^1], n = Size / c;
        var result = new int[n];
        for (int i = 0; i < n; i++)
            result[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(Data.AsSpan(i * c, c));
        return result;
    }
}
