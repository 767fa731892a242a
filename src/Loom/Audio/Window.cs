namespace Loom.Audio;

/// <summary>Window functions as <c>torch.hann_window</c> and <c>torch.hamming_window</c> compute them.</summary>
public static class Window
{
    /// <summary>
    /// The <paramref name="length"/> values of a window. Periodic (the default, as torch's <c>periodic=True</c>)
    /// divides by N = length, the right window for spectral analysis (it is one period of a length + 1 symmetric
    /// window with the last value dropped); symmetric divides by length − 1. Length 1 gives [1], as torch.
    /// </summary>
    public static float[] Create(WindowFunction function, int length, bool periodic = true)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "A window needs at least one value.");
        var w = new float[length];
        if (length == 1 || function == WindowFunction.Rectangular)
        {
            w.AsSpan().Fill(1f);
            return w;
        }
        var (a, b) = function switch
        {
            WindowFunction.Hann => (0.5, 0.5),
            WindowFunction.Hamming => (0.54, 0.46),
            _ => throw new ArgumentOutOfRangeException(nameof(function), function, "Unknown window function."),
        };
        int n = periodic ? length : length - 1;
        for (int j = 0; j < length; j++) w[j] = (float)(a - b * Math.Cos(2 * Math.PI * j / n));
        return w;
    }
}
