namespace Loom.Nn;

/// <summary>
/// How a sliding window over time maps each sequence's valid steps: a sequence of L steps, padded by
/// <c>padding</c> on both sides as if it stood alone, gives ⌊(L + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1
/// outputs, the layer's own formula for its steps axis, so a sequence as long as the batch maps to the batch's
/// output length. Never below 1: a sequence shorter than the window still has the one output its padding made.
/// </summary>
public static class StepLengths
{
    /// <summary>The valid output steps of each of <paramref name="lengths"/> (a new array).</summary>
    public static int[] Window(int[] lengths, int kernel, int stride, int padding = 0, int dilation = 1)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        var output = new int[lengths.Length];
        int reach = dilation * (kernel - 1) + 1;
        for (int i = 0; i < lengths.Length; i++)
        {
            long span = (long)lengths[i] + 2L * padding - reach;
            output[i] = span < 0 ? 1 : (int)(span / stride) + 1;
        }
        return output;
    }
}
