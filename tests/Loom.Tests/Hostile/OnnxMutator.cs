using System.Buffers.Binary;
using Loom.Serialization.Onnx;

namespace Loom.Tests.Hostile;

/// <summary>
/// Structure-aware mutants of ONNX seeds: byte edits (<see cref="Mutator"/>) mostly break the protobuf wire format and
/// stop at the first length, so the <c>onnx-graph</c> target edits the parsed model instead and writes it back with
/// valid framing. The same plans drive it (which seed, then one to eight edits), each edit read as a change to the
/// graph: a tensor's dimension, data type or bytes; an attribute's value, list or presence; a node removed,
/// duplicated, moved, given another operator or another input; a graph input's or output's shape; the Loom spec
/// removed (so the node-by-node reader runs) or a number in it replaced. Pure in the plan, like the byte mutator.
/// </summary>
internal static class OnnxMutator
{
    private static readonly long[] InterestingLongs = [0, 1, -1, 2, 3, 7, 64, 65536, int.MaxValue, int.MaxValue + 1L, uint.MaxValue, 1L << 40, long.MaxValue, long.MinValue, -2];
    private static readonly string[] AttributeNames = ["hidden_size", "axis", "group", "pads", "strides", "kernel_shape", "dilations", "direction", "transB", "perm", "alpha", "epsilon", "layout", "linear_before_reset", "ceil_mode", "value"];
    private static readonly string[] Directions = ["forward", "bidirectional", "reverse", "", "sideways"];

    /// <summary>The mutant of <paramref name="plan"/>; a seed that does not parse (none should) is mutated as bytes.</summary>
    public static byte[] Apply(IReadOnlyList<byte[]> seeds, (int Seed, Mutator.Edit[] Edits) plan)
    {
        OnnxModelProto proto;
        try { proto = OnnxModelProto.Parse(seeds[plan.Seed % seeds.Count]); }
        catch (InvalidDataException) { return Mutator.Apply(seeds, plan); }
        foreach (var e in plan.Edits) Edit(proto, e);
        return proto.ToBytes();
    }

    private static T Pick<T>(IReadOnlyList<T> items, int where) => items[(int)((long)where * items.Count >> 20)];

    private static long Interesting(int arg, long around) =>
        (arg & 0x10000) != 0 ? around + ((arg >> 17) % 5) - 2 : (arg & 0x20000) != 0 ? around * 2 : InterestingLongs[arg % InterestingLongs.Length];

    private static void Edit(OnnxModelProto proto, Mutator.Edit e)
    {
        var g = proto.Graph;
        var tensors = g.Initializers.Concat(g.Nodes.SelectMany(n => n.Attributes).Where(a => a.T is not null).Select(a => a.T!)).ToList();
        int arg = e.Arg;
        switch (e.Kind)
        {
            case 0 when tensors.Count > 0: // a dimension
            {
                var t = Pick(tensors, e.Where);
                if (t.Dims.Length == 0) { t.Dims = [Interesting(arg, 1)]; break; }
                int d = (arg >> 4) % t.Dims.Length;
                t.Dims[d] = Interesting(arg, t.Dims[d]);
                break;
            }
            case 1 when g.Nodes.Count > 0: // an attribute's value
            {
                var node = Pick(g.Nodes, e.Where);
                if (node.Attributes.Count == 0) break;
                var a = node.Attributes[(arg >> 4) % node.Attributes.Count];
                switch (a.Type)
                {
                    case OnnxAttributeType.Int: a.I = Interesting(arg, a.I); break;
                    case OnnxAttributeType.Ints when a.Ints.Count > 0: int i = (arg >> 8) % a.Ints.Count; a.Ints[i] = Interesting(arg, a.Ints[i]); break;
                    case OnnxAttributeType.Float: a.F = (arg & 3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, 2 => -a.F, _ => a.F * 1e30f }; break;
                    case OnnxAttributeType.String: a.S = Directions[arg % Directions.Length]; break;
                    case OnnxAttributeType.Strings when a.Strings.Count > 0: a.Strings[0] = (arg & 1) == 0 ? "Relu" : "Elu"; break;
                }
                break;
            }
            case 2 when g.Nodes.Count > 0: // an attribute's list, or an attribute added or removed
            {
                var node = Pick(g.Nodes, e.Where);
                switch (arg & 3)
                {
                    case 0 when node.Attributes.Count > 0: node.Attributes.RemoveAt((arg >> 4) % node.Attributes.Count); break;
                    case 1:
                        string name = AttributeNames[(arg >> 4) % AttributeNames.Length];
                        node.Attributes.Add(name switch
                        {
                            "direction" => OnnxAttribute.String(name, Directions[(arg >> 9) % Directions.Length]),
                            "pads" or "strides" or "kernel_shape" or "dilations" or "perm" => OnnxAttribute.IntList(name, [.. Enumerable.Range(0, (arg >> 9) % 6).Select(k => Interesting(arg >> k, 1))]),
                            "alpha" or "epsilon" => OnnxAttribute.Float(name, (arg & 8) != 0 ? float.NaN : 0),
                            "value" => OnnxAttribute.Tensor(name, OnnxTensor.FromInt64s("v", [Interesting(arg >> 9, 1)], 1)),
                            _ => OnnxAttribute.Int(name, Interesting(arg >> 9, 1)),
                        });
                        break;
                    default:
                        var list = node.Attributes.FirstOrDefault(a => a.Type == OnnxAttributeType.Ints);
                        if (list is null) break;
                        if ((arg & 4) != 0 && list.Ints.Count > 0) list.Ints.RemoveAt(list.Ints.Count - 1);
                        else list.Ints.Add(Interesting(arg >> 4, list.Ints.LastOrDefault()));
                        break;
                }
                break;
            }
            case 3 when g.Nodes.Count > 0: // a node removed, duplicated or moved
            {
                int at = (int)((long)e.Where * g.Nodes.Count >> 20);
                var node = g.Nodes[at];
                switch (arg % 3)
                {
                    case 0: g.Nodes.RemoveAt(at); break;
                    case 1: for (int k = 0; k < 1 + (arg >> 4) % 3; k++) g.Nodes.Insert(at, node); break;
                    default: g.Nodes.RemoveAt(at); g.Nodes.Insert((arg >> 4) % (g.Nodes.Count + 1), node); break;
                }
                break;
            }
            case 4 when g.Nodes.Count > 0: // another operator, or another input
            {
                var node = Pick(g.Nodes, e.Where);
                if ((arg & 1) == 0) { node.OpType = OnnxImport.SupportedOperators[(arg >> 1) % OnnxImport.SupportedOperators.Count]; break; }
                var names = g.Initializers.Select(t => t.Name).Concat(g.Inputs.Select(v => v.Name)).Concat(g.Nodes.SelectMany(n => n.Outputs)).Append("").ToList();
                int slot = (arg >> 1) % (node.Inputs.Count + 1);
                string value = names[(arg >> 5) % names.Count];
                if (slot == node.Inputs.Count) node.Inputs.Add(value); else node.Inputs[slot] = value;
                break;
            }
            case 5 when g.Initializers.Count > 0: // an initializer removed, retyped, cut or extended
            {
                int at = (int)((long)e.Where * g.Initializers.Count >> 20);
                var t = g.Initializers[at];
                switch (arg & 3)
                {
                    case 0: g.Initializers.RemoveAt(at); break;
                    case 1: t.DataType = (OnnxDataType)new[] { 0, 1, 2, 3, 6, 7, 9, 11, 16, 99 }[(arg >> 2) % 10]; break;
                    case 2: t.Raw = t.Raw[..(t.Raw.Length * ((arg >> 2) % 4) / 4)]; break;
                    default: t.Raw = [.. t.Raw, .. new byte[1 + (arg >> 2) % 16]]; break;
                }
                break;
            }
            case 6: // a graph input's or output's shape
            {
                var values = g.Inputs.Concat(g.Outputs).ToList();
                if (values.Count == 0) break;
                var v = Pick(values, e.Where);
                if ((arg & 3) == 0) { v.Shape = null; break; }
                var shape = v.Shape ?? [];
                if ((arg & 3) == 1) { v.Shape = [.. shape, new OnnxDim(Interesting(arg >> 2, 1), null)]; break; }
                if (shape.Length == 0) break;
                shape[(arg >> 2) % shape.Length] = (arg & 0x40000) != 0 ? new OnnxDim(null, "batch") : new OnnxDim(Interesting(arg >> 3, 4), null);
                break;
            }
            case 7: // the Loom spec removed (the node reader runs) or a number in it replaced
            {
                int at = proto.Metadata.FindIndex(kv => kv.Key == OnnxExport.SpecKey);
                if (at < 0) break;
                if ((arg & 1) == 0) { proto.Metadata.RemoveAt(at); break; }
                var numbers = System.Text.RegularExpressions.Regex.Matches(proto.Metadata[at].Value, "[0-9]+");
                if (numbers.Count == 0) break;
                var m = numbers[(arg >> 1) % numbers.Count];
                string json = proto.Metadata[at].Value;
                proto.Metadata[at] = new(OnnxExport.SpecKey, json[..m.Index] + Interesting(arg >> 4, long.Parse(m.Value.Length > 18 ? "1" : m.Value)) + json[(m.Index + m.Length)..]);
                break;
            }
            case 8 when tensors.Count > 0: // a value in a tensor: NaN, huge, or an index past the end
            {
                var t = Pick(tensors, e.Where);
                if (t.Raw.Length < 4) break;
                int p = ((arg >> 4) % (t.Raw.Length / 4)) * 4;
                BinaryPrimitives.WriteUInt32LittleEndian(t.Raw.AsSpan(p), (arg & 3) switch { 0 => 0x7FC00000u, 1 => 0x7F800000u, 2 => 0xFFFFFFFFu, _ => 0x4F000000u });
                break;
            }
            case 9 when g.Nodes.Count > 0: // a node's output renamed (the graph's output lost, or two values of one name)
            {
                var node = Pick(g.Nodes, e.Where);
                if (node.Outputs.Count == 0) break;
                var others = g.Nodes.SelectMany(n => n.Outputs).Concat(g.Inputs.Select(v => v.Name)).ToList();
                node.Outputs[arg % node.Outputs.Count] = (arg & 0x100) != 0 ? "renamed" : others[(arg >> 9) % others.Count];
                break;
            }
        }
    }
}
