namespace Loom.Inspect;

/// <summary>
/// What a recurrent layer computed at every step for one batch, per layer and direction: the hidden state h_t,
/// the gate activations and, for an LSTM, the cell state c_t. Arrays are batch-major, (N, T, width): row n·T + t.
/// Steps past a sequence's length are zero.
/// </summary>
/// <param name="GateNames">The gate blocks in order: "i", "f", "g", "o" (LSTM), "r", "z", "n" (GRU), "h" (RNN).</param>
public sealed record RecurrentTrace(int Batch, int Steps, int HiddenSize, IReadOnlyList<string> GateNames, IReadOnlyList<RecurrentTrace.Direction> Directions)
{
    /// <summary>One layer and direction.</summary>
    /// <param name="Hidden">(N, T, H).</param>
    /// <param name="Gates">(N, T, G·H), the gates side by side in <see cref="GateNames"/> order.</param>
    /// <param name="Cells">(N, T, H) for an LSTM, otherwise empty.</param>
    public sealed record Direction(int Layer, bool Reverse, float[] Hidden, float[] Gates, float[] Cells);

    /// <summary>The trace of <paramref name="layer"/>'s forward (or reverse) direction.</summary>
    public Direction Of(int layer, bool reverse = false) =>
        Directions.FirstOrDefault(d => d.Layer == layer && d.Reverse == reverse)
        ?? throw new ArgumentException($"The trace has no layer {layer}{(reverse ? " reverse direction" : "")}.");

    /// <summary>Gate <paramref name="gate"/> of unit <paramref name="unit"/> at step t of sequence n.</summary>
    public float Gate(Direction d, string gate, int n, int t, int unit)
    {
        int g = IndexOfGate(gate), width = GateNames.Count * HiddenSize;
        return d.Gates[(n * Steps + t) * width + g * HiddenSize + unit];
    }

    private int IndexOfGate(string gate)
    {
        for (int i = 0; i < GateNames.Count; i++) if (GateNames[i] == gate) return i;
        throw new ArgumentException($"No gate '{gate}'; this cell has {string.Join(", ", GateNames)}.");
    }
}
