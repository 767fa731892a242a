namespace Loom.Nn;

/// <summary>An LSTM's state: hidden h and cell c, each (numLayers·D, N, H) for a layer or (N, H) for a cell.</summary>
public readonly record struct LstmState(Tensor H, Tensor C)
{
    public static implicit operator LstmState((Tensor H, Tensor C) state) => new(state.H, state.C);
}
