using System.Buffers.Binary;
using System.Text;

namespace Loom.Serialization.Onnx;

// The subset of onnx.proto (ONNX 1.12, IR 8) that Loom writes and reads, as plain objects. Field numbers are
// those of onnx.proto; every other field is skipped on reading, so files from other producers (doc strings,
// value_info, training info) still load. Written by hand so the core library keeps its one dependency.

/// <summary>TensorProto.DataType values used here.</summary>
internal enum OnnxDataType
{
    Undefined = 0, Float = 1, Uint8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9, Double = 11,
}

/// <summary>A TensorProto: dims, element type and its bytes (little-endian, as raw_data holds them).</summary>
internal sealed class OnnxTensor
{
    public string Name { get; set; } = "";
    public OnnxDataType DataType { get; set; } = OnnxDataType.Float;
    public long[] Dims { get; set; } = [];
    public byte[] Raw { get; set; } = [];

    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Bytes of one element of <see cref="DataType"/>, or 0 for a type Loom does not read.</summary>
    public int ElementSize => DataType switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 => 4,
        OnnxDataType.Double or OnnxDataType.Int64 => 8,
        OnnxDataType.Uint8 or OnnxDataType.Int8 or OnnxDataType.Bool => 1,
        _ => 0,
    };

    /// <summary>
    /// The element count, or null when it passes <paramref name="limit"/> (checked dimension by dimension, so the
    /// product cannot wrap); a negative dimension is an <see cref="InvalidDataException"/>. What a reader calls before
    /// it allocates anything for the tensor.
    /// </summary>
    public long? ElementCountUpTo(long limit)
    {
        long n = 1;
        foreach (long d in Dims)
        {
            if (d < 0) throw new InvalidDataException($"tensor '{IO.ErrorText.Clean(Name, 80)}' has dimension {d} in its shape {ShapeText}.");
            if (d != 0 && n > limit / d) return null;
            n *= d;
        }
        return n;
    }

    /// <summary>The shape for a message, cut if long.</summary>
    public string ShapeText => Dims.Length <= 8 ? $"[{string.Join(", ", Dims)}]" : $"[{string.Join(", ", Dims.Take(8))}, … {Dims.Length} dimensions]";

    public static OnnxTensor FromFloats(string name, float[] values, params long[] dims)
    {
        var raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), values[i]);
        return new OnnxTensor { Name = name, DataType = OnnxDataType.Float, Dims = dims, Raw = raw };
    }

    public static OnnxTensor FromInt64s(string name, long[] values, params long[] dims)
    {
        var raw = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), values[i]);
        return new OnnxTensor { Name = name, DataType = OnnxDataType.Int64, Dims = dims, Raw = raw };
    }

    /// <summary>The values as floats, whatever the element type (integers and booleans converted).</summary>
    public float[] ToFloats() => DataType switch
    {
        OnnxDataType.Float => Read(4, (s) => BinaryPrimitives.ReadSingleLittleEndian(s)),
        OnnxDataType.Double => Read(8, (s) => (float)BinaryPrimitives.ReadDoubleLittleEndian(s)),
        _ => [.. ToInt64s().Select(v => (float)v)],
    };

    /// <summary>The values as integers (floats truncated).</summary>
    public long[] ToInt64s() => DataType switch
    {
        OnnxDataType.Int64 => Read(8, (s) => BinaryPrimitives.ReadInt64LittleEndian(s)),
        OnnxDataType.Int32 => Read(4, (s) => (long)BinaryPrimitives.ReadInt32LittleEndian(s)),
        OnnxDataType.Bool or OnnxDataType.Uint8 => Read(1, (s) => (long)s[0]),
        OnnxDataType.Int8 => Read(1, (s) => (long)(sbyte)s[0]),
        OnnxDataType.Float or OnnxDataType.Double => [.. ToFloats().Select(v => (long)v)],
        _ => throw new InvalidDataException($"tensor '{Name}' has element type {(int)DataType}, which Loom does not read (float, double, int8/32/64, uint8, bool)."),
    };

    private T[] Read<T>(int size, Func<ReadOnlySpan<byte>, T> read)
    {
        // The element count against the bytes there: a shape claiming more than the file holds is refused before the array is made.
        long n = ElementCountUpTo(Raw.Length / size) ?? throw new InvalidDataException($"tensor '{IO.ErrorText.Clean(Name, 80)}' of shape {ShapeText} needs more than the {Raw.Length} bytes it holds.");
        if (Raw.Length != n * size)
            throw new InvalidDataException($"tensor '{IO.ErrorText.Clean(Name, 80)}' holds {Raw.Length} bytes for {n} elements of {size} bytes.");
        var result = new T[n];
        for (int i = 0; i < n; i++) result[i] = read(Raw.AsSpan(i * size, size));
        return result;
    }
}

internal enum OnnxAttributeType { Undefined = 0, Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5, Floats = 6, Ints = 7, Strings = 8 }

/// <summary>An AttributeProto of the kinds Loom uses: a float, int, string, tensor or list of floats, ints, strings.</summary>
internal sealed class OnnxAttribute
{
    public string Name { get; set; } = "";
    public OnnxAttributeType Type { get; set; }
    public float F { get; set; }
    public long I { get; set; }
    public string S { get; set; } = "";
    public OnnxTensor? T { get; set; }
    public List<float> Floats { get; } = [];
    public List<long> Ints { get; } = [];
    public List<string> Strings { get; } = [];

    public static OnnxAttribute Int(string name, long v) => new() { Name = name, Type = OnnxAttributeType.Int, I = v };
    public static OnnxAttribute Float(string name, float v) => new() { Name = name, Type = OnnxAttributeType.Float, F = v };
    public static OnnxAttribute String(string name, string v) => new() { Name = name, Type = OnnxAttributeType.String, S = v };
    public static OnnxAttribute Tensor(string name, OnnxTensor v) => new() { Name = name, Type = OnnxAttributeType.Tensor, T = v };

    public static OnnxAttribute IntList(string name, params long[] v)
    {
        var a = new OnnxAttribute { Name = name, Type = OnnxAttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    public static OnnxAttribute StringList(string name, params string[] v)
    {
        var a = new OnnxAttribute { Name = name, Type = OnnxAttributeType.Strings };
        a.Strings.AddRange(v);
        return a;
    }
}

internal sealed class OnnxNode
{
    public List<string> Inputs { get; } = [];
    public List<string> Outputs { get; } = [];
    public string Name { get; set; } = "";
    public string OpType { get; set; } = "";
    public string Domain { get; set; } = "";
    public List<OnnxAttribute> Attributes { get; } = [];

    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
}

/// <summary>One dimension of a value's shape: a number, a symbolic name, or neither (unknown).</summary>
internal readonly record struct OnnxDim(long? Value, string? Param)
{
    public static implicit operator OnnxDim(long v) => new(v, null);
    public static implicit operator OnnxDim(string p) => new(null, p);
}

/// <summary>A ValueInfoProto of a tensor type: name, element type, and shape (null: unknown rank).</summary>
internal sealed class OnnxValueInfo
{
    public string Name { get; set; } = "";
    public OnnxDataType ElemType { get; set; } = OnnxDataType.Float;
    public OnnxDim[]? Shape { get; set; }
}

internal sealed class OnnxGraph
{
    public string Name { get; set; } = "";
    public List<OnnxNode> Nodes { get; } = [];
    public List<OnnxTensor> Initializers { get; } = [];
    public List<OnnxValueInfo> Inputs { get; } = [];
    public List<OnnxValueInfo> Outputs { get; } = [];
}

internal sealed class OnnxModelProto
{
    public long IrVersion { get; set; }
    public List<(string Domain, long Version)> Opsets { get; } = [];
    public string ProducerName { get; set; } = "";
    public string ProducerVersion { get; set; } = "";
    public string DocString { get; set; } = "";
    public OnnxGraph Graph { get; set; } = new();
    public List<KeyValuePair<string, string>> Metadata { get; } = [];

    public string? MetadataValue(string key) => Metadata.Where(kv => kv.Key == key).Select(kv => kv.Value).FirstOrDefault();

    // ---- writing --------------------------------------------------------------------------------------------

    public byte[] ToBytes()
    {
        var w = new ProtoWriter();
        w.Int64(1, IrVersion);
        w.String(2, ProducerName);
        w.String(3, ProducerVersion);
        w.Message(7, g => WriteGraph(g, Graph));
        foreach (var (domain, version) in Opsets) w.Message(8, o => { o.String(1, domain); o.Int64(2, version); });
        if (DocString.Length > 0) w.String(6, DocString);
        foreach (var kv in Metadata) w.Message(14, e => { e.String(1, kv.Key); e.String(2, kv.Value); });
        return w.ToArray();
    }

    private static void WriteGraph(ProtoWriter w, OnnxGraph g)
    {
        foreach (var n in g.Nodes) w.Message(1, m => WriteNode(m, n));
        w.String(2, g.Name);
        foreach (var t in g.Initializers) w.Message(5, m => WriteTensor(m, t));
        foreach (var v in g.Inputs) w.Message(11, m => WriteValueInfo(m, v));
        foreach (var v in g.Outputs) w.Message(12, m => WriteValueInfo(m, v));
    }

    private static void WriteNode(ProtoWriter w, OnnxNode n)
    {
        foreach (var i in n.Inputs) w.String(1, i, always: true);
        foreach (var o in n.Outputs) w.String(2, o, always: true);
        w.String(3, n.Name);
        w.String(4, n.OpType);
        foreach (var a in n.Attributes) w.Message(5, m => WriteAttribute(m, a));
        w.String(7, n.Domain);
    }

    private static void WriteAttribute(ProtoWriter w, OnnxAttribute a)
    {
        w.String(1, a.Name);
        switch (a.Type)
        {
            case OnnxAttributeType.Float: w.Float(2, a.F); break;
            case OnnxAttributeType.Int: w.Int64(3, a.I, always: true); break;
            case OnnxAttributeType.String: w.Bytes(4, Encoding.UTF8.GetBytes(a.S)); break;
            case OnnxAttributeType.Tensor: w.Message(5, m => WriteTensor(m, a.T!)); break;
            // proto2 repeated scalars are unpacked by default; every parser accepts them so.
            case OnnxAttributeType.Floats: foreach (var f in a.Floats) w.Float(7, f); break;
            case OnnxAttributeType.Ints: foreach (var i in a.Ints) w.Int64(8, i, always: true); break;
            case OnnxAttributeType.Strings: foreach (var s in a.Strings) w.Bytes(9, Encoding.UTF8.GetBytes(s)); break;
            default: throw new InvalidOperationException($"attribute '{a.Name}' has no type.");
        }
        w.Int64(20, (long)a.Type);
    }

    private static void WriteTensor(ProtoWriter w, OnnxTensor t)
    {
        foreach (var d in t.Dims) w.Int64(1, d, always: true);
        w.Int64(2, (long)t.DataType);
        w.String(8, t.Name);
        w.Bytes(9, t.Raw);
    }

    private static void WriteValueInfo(ProtoWriter w, OnnxValueInfo v)
    {
        w.String(1, v.Name);
        w.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int64(1, (long)v.ElemType);
            if (v.Shape is { } shape)
                tensor.Message(2, s =>
                {
                    foreach (var d in shape)
                        s.Message(1, dim =>
                        {
                            if (d.Value is long value) dim.Int64(1, value, always: true);
                            else if (d.Param is string p) dim.String(2, p);
                        });
                });
        }));
    }

    // ---- reading --------------------------------------------------------------------------------------------

    /// <summary>Parses a ModelProto; a malformed one throws <see cref="InvalidDataException"/> (without the file name).</summary>
    public static OnnxModelProto Parse(ReadOnlyMemory<byte> bytes)
    {
        var model = new OnnxModelProto();
        bool sawGraph = false;
        foreach (var f in new ProtoReader(bytes).Fields())
        {
            switch (f.Number)
            {
                case 1: model.IrVersion = (long)f.Varint; break;
                case 2: model.ProducerName = f.Text; break;
                case 3: model.ProducerVersion = f.Text; break;
                case 6: model.DocString = f.Text; break;
                case 7: model.Graph = ReadGraph(f.Nested); sawGraph = true; break;
                case 8:
                    string domain = ""; long version = 0;
                    foreach (var o in f.Nested.Fields())
                        if (o.Number == 1) domain = o.Text; else if (o.Number == 2) version = (long)o.Varint;
                    model.Opsets.Add((domain, version));
                    break;
                case 14:
                    string key = "", value = "";
                    foreach (var e in f.Nested.Fields())
                        if (e.Number == 1) key = e.Text; else if (e.Number == 2) value = e.Text;
                    model.Metadata.Add(new(key, value));
                    break;
            }
        }
        if (!sawGraph) throw new InvalidDataException("it holds no ONNX graph (not an ONNX model, or empty).");
        return model;
    }

    private static OnnxGraph ReadGraph(ProtoReader r)
    {
        var g = new OnnxGraph();
        foreach (var f in r.Fields())
        {
            switch (f.Number)
            {
                case 1: g.Nodes.Add(ReadNode(f.Nested)); break;
                case 2: g.Name = f.Text; break;
                case 5: g.Initializers.Add(ReadTensor(f.Nested)); break;
                case 11: g.Inputs.Add(ReadValueInfo(f.Nested)); break;
                case 12: g.Outputs.Add(ReadValueInfo(f.Nested)); break;
            }
        }
        return g;
    }

    private static OnnxNode ReadNode(ProtoReader r)
    {
        var n = new OnnxNode();
        foreach (var f in r.Fields())
        {
            switch (f.Number)
            {
                case 1: n.Inputs.Add(f.Text); break;
                case 2: n.Outputs.Add(f.Text); break;
                case 3: n.Name = f.Text; break;
                case 4: n.OpType = f.Text; break;
                case 5: n.Attributes.Add(ReadAttribute(f.Nested)); break;
                case 7: n.Domain = f.Text; break;
            }
        }
        return n;
    }

    private static OnnxAttribute ReadAttribute(ProtoReader r)
    {
        var a = new OnnxAttribute();
        var seen = OnnxAttributeType.Undefined;
        foreach (var f in r.Fields())
        {
            switch (f.Number)
            {
                case 1: a.Name = f.Text; break;
                case 2: a.F = f.Fixed32AsFloat; seen = OnnxAttributeType.Float; break;
                case 3: a.I = (long)f.Varint; seen = OnnxAttributeType.Int; break;
                case 4: a.S = f.Text; seen = OnnxAttributeType.String; break;
                case 5: a.T = ReadTensor(f.Nested); seen = OnnxAttributeType.Tensor; break;
                case 6: seen = OnnxAttributeType.Graph; break;
                case 7: f.ReadFloats(a.Floats); seen = OnnxAttributeType.Floats; break;
                case 8: f.ReadVarints(a.Ints); seen = OnnxAttributeType.Ints; break;
                case 9: a.Strings.Add(f.Text); seen = OnnxAttributeType.Strings; break;
                case 20: a.Type = (OnnxAttributeType)(long)f.Varint; break;
            }
        }
        // IR versions before 3 had no type field; the field that is present says it.
        if (a.Type == OnnxAttributeType.Undefined) a.Type = seen;
        return a;
    }

    private static OnnxTensor ReadTensor(ProtoReader r)
    {
        var t = new OnnxTensor();
        var dims = new List<long>();
        var floats = new List<float>();
        var longs = new List<long>();
        var doubles = new List<double>();
        byte[]? raw = null;
        foreach (var f in r.Fields())
        {
            switch (f.Number)
            {
                case 1: f.ReadVarints(dims); break;
                case 2: t.DataType = (OnnxDataType)(long)f.Varint; break;
                case 3: throw new InvalidDataException("a tensor is stored in segments, which Loom does not read.");
                case 4: f.ReadFloats(floats); break;
                case 5: case 7: f.ReadVarints(longs); break;
                case 8: t.Name = f.Text; break;
                case 9: raw = f.Bytes.ToArray(); break;
                case 10: f.ReadDoubles(doubles); break;
                case 13: case 14: throw new InvalidDataException($"tensor '{t.Name}' is stored in an external file, which Loom does not read; save the model with its weights inside.");
            }
        }
        t.Dims = [.. dims];
        if (raw is not null) t.Raw = raw;
        else t.Raw = t.DataType switch
        {
            OnnxDataType.Float => OnnxTensor.FromFloats("", [.. floats]).Raw,
            OnnxDataType.Double => [.. doubles.SelectMany(BitConverter.GetBytes)],
            OnnxDataType.Int64 => OnnxTensor.FromInt64s("", [.. longs]).Raw,
            OnnxDataType.Int32 => [.. longs.SelectMany(v => BitConverter.GetBytes((int)v))],
            OnnxDataType.Bool or OnnxDataType.Uint8 or OnnxDataType.Int8 => [.. longs.Select(v => (byte)v)],
            _ => [],
        };
        return t;
    }

    private static OnnxValueInfo ReadValueInfo(ProtoReader r)
    {
        var v = new OnnxValueInfo { ElemType = OnnxDataType.Undefined };
        foreach (var f in r.Fields())
        {
            if (f.Number == 1) v.Name = f.Text;
            else if (f.Number == 2)
                foreach (var type in f.Nested.Fields())
                    if (type.Number == 1)
                        foreach (var tensor in type.Nested.Fields())
                        {
                            if (tensor.Number == 1) v.ElemType = (OnnxDataType)(long)tensor.Varint;
                            else if (tensor.Number == 2)
                            {
                                var dims = new List<OnnxDim>();
                                foreach (var d in tensor.Nested.Fields())
                                {
                                    if (d.Number != 1) continue;
                                    long? value = null; string? param = null;
                                    foreach (var x in d.Nested.Fields())
                                        if (x.Number == 1) value = (long)x.Varint; else if (x.Number == 2) param = x.Text;
                                    dims.Add(new OnnxDim(value, param));
                                }
                                v.Shape = [.. dims];
                            }
                        }
        }
        return v;
    }
}
