using System.Text;
using CsCheck;

namespace Loom.Tests.Hostile;

/// <summary>
/// How the fuzz suite turns a valid seed file into a hostile one: a CsCheck generator of edit plans (which seed, then
/// one to eight edits), applied to the seed's bytes. The edits are those that found issue 17's bugs: bit flips,
/// interesting bytes and 32-bit values (0, −1, 2^31−1, 2^31, 65536, both byte orders), truncation, deleted and
/// duplicated ranges, splices from another seed, a number in text replaced by a huge, negative, fractional or
/// out-of-range one or by null, JSON fragments inserted (null, a repeated key, stray brackets), and a chunk repeated
/// up to 2,000 times (what makes a quadratic parser show). Generation is a pure function of a PCG seed, so an input
/// is named by (reader, seed) and regenerates exactly.
/// </summary>
internal static class Mutator
{
    /// <summary>One edit: what, where (a fraction of the length, in 1/2^20), and a free argument.</summary>
    public readonly record struct Edit(int Kind, int Where, int Arg);

    public const int Kinds = 10;

    public static readonly Gen<(int Seed, Edit[] Edits)> Plans =
        Gen.Select(Gen.Int[0, 1 << 20], Gen.Select(Gen.Int[0, Kinds - 1], Gen.Int[0, (1 << 20) - 1], Gen.Int[0, int.MaxValue], (k, w, a) => new Edit(k, w, a)).Array[1, 8]);

    private static readonly byte[] InterestingBytes = [0, 1, 0x7F, 0x80, 0xFF, (byte)'"', (byte)'{', (byte)'[', (byte)',', (byte)':', (byte)'-', (byte)'9', (byte)'/', (byte)'\n', 0xC3, 0xFE];
    private static readonly uint[] InterestingInts = [0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x10000, 0xFFFF, 0x7FFFFFC7];
    private static readonly string[] InterestingNumbers = ["-1", "0", "null", "1e39", "4294967296", "2147483647", "99999999999999999999", "1.5", "-2147483648", "100000", "\"x\"", "[]", "{}", "true"];
    private static readonly string[] Fragments = ["null", "\"name\": \"n\", ", "\"type\": \"ReLU\", ", "[", "]", "{", "}", ",", "\"\\u0000\"", "\"kernel_size\": 3, ", "-hl", "/nn ", "\n\n", "\"", "\\"];

    /// <summary>The input the plan makes from <paramref name="seeds"/>.</summary>
    public static byte[] Apply(IReadOnlyList<byte[]> seeds, (int Seed, Edit[] Edits) plan)
    {
        var data = new List<byte>(seeds[plan.Seed % seeds.Count]);
        foreach (var e in plan.Edits)
        {
            int n = data.Count;
            int at = n == 0 ? 0 : (int)((long)e.Where * n >> 20);
            switch (e.Kind)
            {
                case 0 when n > 0: data[at] ^= (byte)(1 << (e.Arg & 7)); break;
                case 1 when n > 0: data[at] = InterestingBytes[e.Arg % InterestingBytes.Length]; break;
                case 2: data.RemoveRange(at, n - at); break;
                case 3 when n > 0: data.RemoveRange(at, Math.Min(n - at, 1 + e.Arg % 16)); break;
                case 4 when n > 0: data.InsertRange(at, data.GetRange(at, Math.Min(n - at, 1 + e.Arg % 64))); break;
                case 5 when n >= 4:
                {
                    uint v = InterestingInts[e.Arg % InterestingInts.Length];
                    int p = Math.Min(at, n - 4);
                    bool big = (e.Arg & 0x100) != 0;
                    for (int i = 0; i < 4; i++) data[p + i] = (byte)(big ? v >> (24 - 8 * i) : v >> (8 * i));
                    break;
                }
                case 6: ReplaceNumber(data, at, InterestingNumbers[e.Arg % InterestingNumbers.Length]); break;
                case 7: data.InsertRange(at, Encoding.UTF8.GetBytes(Fragments[e.Arg % Fragments.Length])); break;
                case 8:
                {
                    var other = seeds[e.Arg % seeds.Count];
                    if (other.Length == 0) break;
                    int from = (e.Arg >> 8) % other.Length;
                    data.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + (e.Arg >> 16) % 256)).ToArray());
                    break;
                }
                case 9 when n > 0:
                {
                    int length = Math.Min(n - at, 1 + e.Arg % 8);
                    int times = 1 + (e.Arg >> 4) % 2000;
                    var chunk = data.GetRange(at, length);
                    var repeated = new List<byte>(length * times);
                    for (int i = 0; i < times && repeated.Count < (64 << 10); i++) repeated.AddRange(chunk);
                    data.InsertRange(at, repeated);
                    break;
                }
            }
        }
        return [.. data];
    }

    /// <summary>Replaces the run of digits at or after <paramref name="at"/> by <paramref name="number"/> (inserts it if there is none).</summary>
    private static void ReplaceNumber(List<byte> data, int at, string number)
    {
        int start = at;
        while (start < data.Count && !(data[start] is >= (byte)'0' and <= (byte)'9')) start++;
        int end = start;
        while (end < data.Count && (data[end] is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'-' or (byte)'e')) end++;
        if (start >= data.Count) start = end = Math.Min(at, data.Count);
        data.RemoveRange(start, end - start);
        data.InsertRange(start, Encoding.ASCII.GetBytes(number));
    }
}
