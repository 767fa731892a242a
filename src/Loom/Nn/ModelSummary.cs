using System.Globalization;
using System.Text;
using Loom.Autograd;

namespace Loom.Nn;

/// <summary>
/// A Keras-style summary: every leaf layer with its output shape and parameter count, and totals.
/// Built by running one forward pass on zeros of the given input shape (batch 1) in eval mode, with a forward
/// hook on every leaf layer.
/// </summary>
public sealed class ModelSummary
{
    public sealed record Row(string Name, string Layer, int[] OutputShape, long Parameters);

    public IReadOnlyList<Row> Rows { get; }
    public long TotalParameters { get; }
    public long TrainableParameters { get; }
    public int[] InputShape { get; }

    private ModelSummary(List<Row> rows, long total, long trainable, int[] inputShape) =>
        (Rows, TotalParameters, TrainableParameters, InputShape) = (rows, total, trainable, inputShape);

    /// <summary>Summarises <paramref name="model"/> for inputs of shape <paramref name="sampleShape"/> (without the batch dimension).</summary>
    public static ModelSummary Create(Module model, int[] sampleShape)
    {
        var leafPaths = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (path, module) in model.NamedModules())
            if (module.Children.Count == 0) leafPaths[module] = path;
        var rows = new List<Row>();
        bool wasTraining = model.Training;
        var hooks = leafPaths.Select(leaf => leaf.Key.RegisterForwardHook((m, y) =>
            rows.Add(new Row(leafPaths[m], m.Describe(), (int[])y.Shape.Clone(), m.Parameters().Sum(p => (long)p.Size))))).ToList();
        try
        {
            model.Eval();
            using var _ = GradMode.NoGrad();
            model.Call(Tensor.Zeros([1, .. sampleShape]));
        }
        finally
        {
            foreach (var hook in hooks) hook.Dispose();
            model.Train(wasTraining);
        }
        long total = model.ParameterCount();
        return new ModelSummary(rows, total, model.Parameters().Where(p => p.RequiresGrad).Sum(p => (long)p.Size), sampleShape);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        var table = Rows.Select(r => (Name: r.Name, Layer: r.Layer, Shape: "(" + string.Join(", ", r.OutputShape.Skip(1).Prepend(-1).Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture))) + ")", Params: r.Parameters.ToString("N0", CultureInfo.InvariantCulture))).ToList();
        int w1 = Math.Max(5, table.Count == 0 ? 0 : table.Max(r => r.Name.Length + 2 + r.Layer.Length));
        int w2 = Math.Max(12, table.Count == 0 ? 0 : table.Max(r => r.Shape.Length));
        int w3 = Math.Max(7, table.Count == 0 ? 0 : table.Max(r => r.Params.Length));
        string line = new('─', w1 + w2 + w3 + 6);
        sb.AppendLine(line);
        sb.Append("Layer".PadRight(w1)).Append("   ").Append("Output shape".PadRight(w2)).Append("   ").Append("Param #".PadLeft(w3)).AppendLine();
        sb.AppendLine(line);
        foreach (var r in table)
            sb.Append((r.Name + ": " + r.Layer).PadRight(w1)).Append("   ").Append(r.Shape.PadRight(w2)).Append("   ").Append(r.Params.PadLeft(w3)).AppendLine();
        sb.AppendLine(line);
        sb.Append("Input shape: (N, ").Append(string.Join(", ", InputShape)).AppendLine(")");
        sb.Append("Total params: ").AppendLine(TotalParameters.ToString("N0", CultureInfo.InvariantCulture));
        sb.Append("Trainable params: ").AppendLine(TrainableParameters.ToString("N0", CultureInfo.InvariantCulture));
        sb.Append("Non-trainable params: ").AppendLine((TotalParameters - TrainableParameters).ToString("N0", CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
