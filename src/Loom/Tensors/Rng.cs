namespace Loom;

/// <summary>
/// A seedable random generator (xoshiro128**), the single source of randomness for initialisation,
/// shuffling, dropout and augmentation, so that one seed makes a run repeatable.
/// </summary>
public sealed class Rng
{
    private uint _s0, _s1, _s2, _s3;
    private float? _spareNormal;

    /// <summary>The generator used where none is passed. Reseed it with <see cref="ManualSeed"/>.</summary>
    public static Rng Default { get; private set; } = new(0);

    /// <summary>Reseeds the global generator (PyTorch's <c>torch.manual_seed</c>).</summary>
    public static void ManualSeed(ulong seed) => Default = new Rng(seed);

    public Rng(ulong seed) => Seed(seed);

    private void Seed(ulong seed)
    {
        // SplitMix64 spreads the seed over the state so that nearby seeds give unrelated streams.
        ulong x = seed;
        ulong Next() { x += 0x9E3779B97F4A7C15UL; ulong z = x; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL; return z ^ (z >> 31); }
        ulong a = Next(), b = Next();
        _s0 = (uint)a; _s1 = (uint)(a >> 32); _s2 = (uint)b; _s3 = (uint)(b >> 32);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
        _spareNormal = null;
    }

    /// <summary>The full generator state, for checkpoints.</summary>
    public uint[] GetState() => [_s0, _s1, _s2, _s3];

    public void SetState(uint[] state)
    {
        if (state.Length != 4) throw new ArgumentException("Generator state must have 4 words.");
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareNormal = null;
    }

    public uint NextUInt() => Step(ref _s0, ref _s1, ref _s2, ref _s3);

    /// <summary>One xoshiro128** step: the next value, and the state moved on. Inlined, so that a loop over locals keeps them in registers.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static uint Step(ref uint s0, ref uint s1, ref uint s2, ref uint s3)
    {
        uint result = BitRotate(s1 * 5, 7) * 9;
        uint t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = BitRotate(s3, 11);
        return result;
    }

    private static uint BitRotate(uint x, int k) => (x << k) | (x >> (32 - k));

    /// <summary>Uniform in [0, 1).</summary>
    public float NextFloat() => (NextUInt() >> 8) * (1f / (1 << 24));

    /// <summary>Uniform integer in [0, maxExclusive).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive));
        return (int)(((ulong)NextUInt() * (ulong)maxExclusive) >> 32);
    }

    public float NextNormal()
    {
        if (_spareNormal is float spare) { _spareNormal = null; return spare; }
        // Box–Muller; 1 - u keeps the logarithm finite.
        double u1 = 1.0 - NextFloat(), u2 = NextFloat();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = (float)(r * Math.Sin(2 * Math.PI * u2));
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    public void FillUniform(Span<float> target, float low, float high)
    {
        float range = high - low;
        for (int i = 0; i < target.Length; i++) target[i] = low + range * NextFloat();
    }

    /// <summary>
    /// Dropout's mask: each element 0 with probability <paramref name="p"/>, else <paramref name="keptValue"/> — the
    /// values <c>NextFloat() &gt;= p ? keptValue : 0</c> one element after another, the same stream. The state is held
    /// in locals (a call per element kept it in memory) and the choice made without a branch (at p = ½ a branch is
    /// mispredicted every other element): NextFloat is u·2⁻²⁴ for the integer u = x >> 8 &lt; 2²⁴, and both that product
    /// and p·2²⁴ are exact, so u·2⁻²⁴ ≥ p exactly when u ≥ ⌈p·2²⁴⌉.
    /// </summary>
    public void FillKeepMask(Span<float> mask, float p, float keptValue)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"A keep mask needs a probability in [0, 1], got {p}.");
        int threshold = (int)MathF.Ceiling(p * (1 << 24)), kept = BitConverter.SingleToInt32Bits(keptValue);
        uint s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        for (int i = 0; i < mask.Length; i++)
        {
            uint result = Step(ref s0, ref s1, ref s2, ref s3);
            int dropped = ((int)(result >> 8) - threshold) >> 31; // all ones when u < threshold
            mask[i] = BitConverter.Int32BitsToSingle(kept & ~dropped);
        }
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    public void FillNormal(Span<float> target, float mean, float std)
    {
        for (int i = 0; i < target.Length; i++) target[i] = mean + std * NextNormal();
    }

    /// <summary>A random permutation of 0..n-1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
