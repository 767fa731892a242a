using System.Buffers.Binary;
using System.Text;

namespace Loom.Serialization.Onnx;

/// <summary>
/// Protocol-buffer wire encoding, the four wire types ONNX needs (varint, 64-bit, length-delimited, 32-bit).
/// A nested message is written into its own buffer first, then copied behind its length: ONNX models are a few
/// megabytes, so the copy costs nothing next to the simplicity.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _out = new();

    public byte[] ToArray() => _out.ToArray();

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong v)
    {
        while (v >= 0x80)
        {
            _out.WriteByte((byte)(v | 0x80));
            v >>= 7;
        }
        _out.WriteByte((byte)v);
    }

    /// <summary>An int64/int32/enum field (negative numbers as ten-byte two's complement, as protobuf does); zero is left out unless <paramref name="always"/> (repeated entries).</summary>
    public void Int64(int field, long v, bool always = false)
    {
        if (v == 0 && !always) return;
        Tag(field, 0);
        Varint((ulong)v);
    }

    public void Float(int field, float v)
    {
        Tag(field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, v);
        _out.Write(b);
    }

    public void Bytes(int field, ReadOnlySpan<byte> bytes)
    {
        Tag(field, 2);
        Varint((ulong)bytes.Length);
        _out.Write(bytes);
    }

    /// <summary>A string field; an empty one is left out unless <paramref name="always"/> (a node's omitted optional input is an empty name that must stay in place).</summary>
    public void String(int field, string s, bool always = false)
    {
        if (s.Length == 0 && !always) return;
        Bytes(field, Encoding.UTF8.GetBytes(s));
    }

    public void Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Bytes(field, inner._out.GetBuffer().AsSpan(0, (int)inner._out.Length));
    }
}

/// <summary>Reads protocol-buffer fields; anything malformed (a length past the end, a bad wire type) is an <see cref="InvalidDataException"/>.</summary>
internal readonly struct ProtoReader(ReadOnlyMemory<byte> bytes)
{
    public IEnumerable<ProtoField> Fields()
    {
        var data = bytes;
        int pos = 0;
        while (pos < data.Length)
        {
            ulong tag = ReadVarint(data.Span, ref pos);
            int number = (int)(tag >> 3), wire = (int)(tag & 7);
            if (number <= 0) throw new InvalidDataException($"field number {number} at byte {pos} (the file is corrupt).");
            switch (wire)
            {
                case 0:
                    yield return new ProtoField(number, wire, ReadVarint(data.Span, ref pos), default);
                    break;
                case 1:
                    Need(data, pos, 8);
                    yield return new ProtoField(number, wire, BinaryPrimitives.ReadUInt64LittleEndian(data.Span[pos..]), data.Slice(pos, 8));
                    pos += 8;
                    break;
                case 2:
                    ulong len = ReadVarint(data.Span, ref pos);
                    if (len > (ulong)(data.Length - pos)) throw new InvalidDataException($"a field of {len} bytes at byte {pos} runs past the end (the file is truncated or corrupt).");
                    yield return new ProtoField(number, wire, len, data.Slice(pos, (int)len));
                    pos += (int)len;
                    break;
                case 5:
                    Need(data, pos, 4);
                    yield return new ProtoField(number, wire, BinaryPrimitives.ReadUInt32LittleEndian(data.Span[pos..]), data.Slice(pos, 4));
                    pos += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {wire} at byte {pos} (the file is corrupt, or not an ONNX model).");
            }
        }

        static void Need(ReadOnlyMemory<byte> data, int at, int n)
        {
            if (data.Length - at < n) throw new InvalidDataException($"a field at byte {at} runs past the end (the file is truncated).");
        }
    }

    internal static ulong ReadVarint(ReadOnlySpan<byte> s, ref int pos)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= s.Length) throw new InvalidDataException("a number runs past the end (the file is truncated).");
            byte b = s[pos++];
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
        }
        throw new InvalidDataException("a number longer than ten bytes (the file is corrupt).");
    }
}

/// <summary>One field: its number, wire type, the varint or fixed value, and for length-delimited fields the bytes.</summary>
internal readonly record struct ProtoField(int Number, int WireType, ulong Varint, ReadOnlyMemory<byte> Bytes)
{
    public string Text => WireType == 2 ? Encoding.UTF8.GetString(Bytes.Span) : throw Wrong("a string");
    public ProtoReader Nested => WireType == 2 ? new ProtoReader(Bytes) : throw Wrong("a message");
    public float Fixed32AsFloat => WireType == 5 ? BitConverter.Int32BitsToSingle((int)(uint)Varint) : throw Wrong("a float");

    /// <summary>A repeated varint field, packed (length-delimited) or one value per field.</summary>
    public void ReadVarints(List<long> into)
    {
        if (WireType == 0) { into.Add((long)Varint); return; }
        if (WireType != 2) throw Wrong("integers");
        var s = Bytes.Span;
        int pos = 0;
        while (pos < s.Length) into.Add((long)ProtoReader.ReadVarint(s, ref pos));
    }

    public void ReadFloats(List<float> into)
    {
        if (WireType == 5) { into.Add(Fixed32AsFloat); return; }
        if (WireType != 2 || Bytes.Length % 4 != 0) throw Wrong("floats");
        for (int i = 0; i < Bytes.Length; i += 4) into.Add(BinaryPrimitives.ReadSingleLittleEndian(Bytes.Span[i..]));
    }

    public void ReadDoubles(List<double> into)
    {
        if (WireType == 1) { into.Add(BitConverter.Int64BitsToDouble((long)Varint)); return; }
        if (WireType != 2 || Bytes.Length % 8 != 0) throw Wrong("doubles");
        for (int i = 0; i < Bytes.Length; i += 8) into.Add(BinaryPrimitives.ReadDoubleLittleEndian(Bytes.Span[i..]));
    }

    private InvalidDataException Wrong(string what) => new($"field {Number} should hold {what} but has wire type {WireType} (the file is corrupt, or not an ONNX model).");
}
