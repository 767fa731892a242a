namespace Loom.Nn;

/// <summary>The non-linearity of an Elman RNN, as PyTorch's <c>nonlinearity='tanh'|'relu'</c>.</summary>
public enum RnnNonlinearity { Tanh, Relu }
