using System.Globalization;

namespace Loom.Serialization.Onnx;

/// <summary>Accumulates nodes and initializers with unique value names; the exporter's only way to add to a graph.</summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = [];
    private int _constants;

    public OnnxGraph Graph { get; } = new();

    /// <summary>A value name not used yet, from a readable hint ("3.Conv" → "3.Conv", then "3.Conv_1", …).</summary>
    public string Fresh(string hint)
    {
        if (_names.Add(hint)) return hint;
        for (int i = 1; ; i++)
        {
            string name = string.Create(CultureInfo.InvariantCulture, $"{hint}_{i}");
            if (_names.Add(name)) return name;
        }
    }

    /// <summary>Reserves a name that must be exactly this (a graph input or output, a parameter's state-dict name).</summary>
    public string Exact(string name) => _names.Add(name) ? name : throw new InvalidOperationException($"ONNX value name '{name}' is used twice.");

    public string Initializer(string name, float[] values, params long[] dims)
    {
        Graph.Initializers.Add(OnnxTensor.FromFloats(name = Fresh(name), values, dims));
        return name;
    }

    /// <summary>A constant int64 tensor (shapes, axes, pads), 1-D unless <paramref name="scalar"/>.</summary>
    public string Ints(params long[] values) => IntTensor(false, values);

    public string IntScalar(long value) => IntTensor(true, value);

    private string IntTensor(bool scalar, params long[] values)
    {
        string name = Fresh(string.Create(CultureInfo.InvariantCulture, $"const_{_constants++}"));
        Graph.Initializers.Add(OnnxTensor.FromInt64s(name, values, scalar ? [] : [values.Length]));
        return name;
    }

    public string FloatScalar(float value)
    {
        string name = Fresh(string.Create(CultureInfo.InvariantCulture, $"const_{_constants++}"));
        Graph.Initializers.Add(OnnxTensor.FromFloats(name, [value]));
        return name;
    }

    /// <summary>Adds one node with one output named from <paramref name="hint"/>; returns the output's name.</summary>
    public string Node(string op, string hint, string[] inputs, params OnnxAttribute[] attributes) =>
        NodeN(op, hint, inputs, 1, attributes)[0];

    /// <summary>Adds one node with <paramref name="outputs"/> outputs; returns their names.</summary>
    public string[] NodeN(string op, string hint, string[] inputs, int outputs, params OnnxAttribute[] attributes)
    {
        var node = new OnnxNode { OpType = op, Name = Fresh(hint + "/" + op + "_node") };
        node.Inputs.AddRange(inputs);
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) names[i] = Fresh(outputs == 1 ? hint + "/" + op : string.Create(CultureInfo.InvariantCulture, $"{hint}/{op}:{i}"));
        node.Outputs.AddRange(names);
        node.Attributes.AddRange(attributes);
        Graph.Nodes.Add(node);
        return names;
    }

    /// <summary>A node whose outputs are named exactly (graph outputs).</summary>
    public void NodeTo(string op, string[] inputs, string[] outputs, params OnnxAttribute[] attributes)
    {
        var node = new OnnxNode { OpType = op, Name = Fresh(outputs[0] + "/" + op + "_node") };
        node.Inputs.AddRange(inputs);
        node.Outputs.AddRange(outputs);
        node.Attributes.AddRange(attributes);
        Graph.Nodes.Add(node);
    }
}
