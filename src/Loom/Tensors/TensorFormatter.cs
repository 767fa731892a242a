using System.Globalization;
using System.Text;

namespace Loom;

/// <summary>Prints tensors in PyTorch's nested-bracket style, eliding the middle of large dimensions.</summary>
internal static class TensorFormatter
{
    private const int EdgeItems = 3;
    private const int Threshold = 1000;

    public static string Format(Tensor t)
    {
        var sb = new StringBuilder("tensor(");
        if (t.Rank == 0) sb.Append(Number(t.Data[0]));
        else Append(sb, t, 0, 0, t.Size > Threshold, 7);
        if (t.Rank != 1 || t.Size > 0) sb.Append(", shape=").Append(ShapeUtil.Format(t.Shape));
        // As PyTorch: an op's output names the op that made it (its tape node), a leaf says it wants a gradient.
        if (t.GradFn is { } node) sb.Append(", grad_fn=").Append(node.Name);
        else if (t.RequiresGrad) sb.Append(", requires_grad");
        return sb.Append(')').ToString();
    }

    private static void Append(StringBuilder sb, Tensor t, int dim, int offset, bool summarize, int indent)
    {
        int n = t.Shape[dim];
        int stride = 1;
        for (int d = dim + 1; d < t.Rank; d++) stride *= t.Shape[d];
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (summarize && n > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append(dim == t.Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + dim + 1));
                i = n - EdgeItems - 1;
                continue;
            }
            if (dim == t.Rank - 1) sb.Append(Number(t.Data[offset + i]));
            else Append(sb, t, dim + 1, offset + i * stride, summarize, indent);
            if (i < n - 1) sb.Append(dim == t.Rank - 1 ? ", " : ",\n" + new string(' ', indent + dim + 1));
        }
        sb.Append(']');
    }

    private static string Number(float v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
