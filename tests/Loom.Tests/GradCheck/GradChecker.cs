using System.Globalization;
using System.Text;
using Loom.Autograd;
using Xunit;

namespace Loom.Tests.GradCheck;

/// <summary>One element whose analytic and numerical gradients disagree.</summary>
public readonly record struct GradMismatch(int Input, int Index, double Analytic, double Numeric, double Bound);

/// <summary>The outcome of one gradient check: every mismatch, and the worst error relative to its bound.</summary>
public sealed class GradReport
{
    public List<GradMismatch> Mismatches { get; } = [];

    /// <summary>max over all checked elements of |analytic − numeric| / bound (≤ 1 passes).</summary>
    public double WorstRatio { get; set; }

    public int Checked { get; set; }

    public bool Passed => Mismatches.Count == 0;

    public override string ToString()
    {
        var sb = new StringBuilder($"{Mismatches.Count} of {Checked} gradient elements disagree (worst error/bound {WorstRatio:G3})");
        foreach (var m in Mismatches.Take(12))
            sb.Append(CultureInfo.InvariantCulture, $"\n  input {m.Input}[{m.Index}]: analytic {m.Analytic:G6}, numeric {m.Numeric:G6}, allowed ±{m.Bound:G3}");
        return sb.ToString();
    }
}

/// <summary>
/// Finite-difference gradient checker. The function under test maps input tensors to any tensor y;
/// the checker differentiates the scalar L = Σ y·r for a fixed random r (seeded), analytically through
/// <see cref="Tensor.Backward"/> with gradient r, and numerically by central differences with L summed in
/// double. Element i of input k passes when |a − n| ≤ rtol·(max(|a|, |n|) + 0.1·scale_k) + atol, where
/// scale_k is the largest |n| over that input: a relative test, softened for elements whose gradient is
/// small next to the rest of the tensor (there float32 rounding of the forward dominates).
/// </summary>
public static class GradChecker
{
    public const double DefaultEps = 1e-2;
    public const double DefaultRtol = 1e-2;
    public const double DefaultAtol = 1e-5;

    /// <summary>
    /// Checks the gradients of every input that has <see cref="Tensor.RequiresGrad"/> set; the others are
    /// held constant. Fails the test with a readable report on any mismatch.
    /// </summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = DefaultEps, double rtol = DefaultRtol,
        double atol = DefaultAtol, int seed = 1234)
    {
        var report = Run(f, inputs, eps, rtol, atol, seed);
        Assert.True(report.Checked > 0, "No input requires a gradient: nothing was checked.");
        Assert.True(report.Passed, report.ToString());
    }

    /// <summary>Convenience for one input.</summary>
    public static void Check(Func<Tensor, Tensor> f, Tensor input, double eps = DefaultEps, double rtol = DefaultRtol,
        double atol = DefaultAtol, int seed = 1234) => Check(xs => f(xs[0]), [input], eps, rtol, atol, seed);

    /// <summary>Runs the check and returns the report without asserting.</summary>
    public static GradReport Run(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = DefaultEps, double rtol = DefaultRtol,
        double atol = DefaultAtol, int seed = 1234)
    {
        // Analytic pass.
        foreach (var t in inputs) t.ZeroGrad();
        var y = f(inputs);
        var r = Tensor.Normal(0f, 1f, y.Shape, new Rng((ulong)seed));
        if (!y.RequiresGrad)
            throw new InvalidOperationException("The function's output does not require grad: no graph was recorded.");
        y.Backward(r);
        var analytic = inputs.Select(t => t.RequiresGrad ? (t.Grad?.Data.Select(v => (double)v).ToArray() ?? new double[t.Size]) : null).ToArray();

        // Numerical pass: central differences of L = Σ y·r, evaluated without recording a graph.
        double Loss()
        {
            using var _ = GradMode.NoGrad();
            var out_ = f(inputs);
            if (!ShapeUtil.SameShape(out_.Shape, r.Shape))
                throw new InvalidOperationException($"The function's output changed shape from {ShapeUtil.Format(r.Shape)} to {ShapeUtil.Format(out_.Shape)}.");
            double s = 0;
            for (int i = 0; i < out_.Size; i++) s += (double)out_.Data[i] * r.Data[i];
            return s;
        }

        var numeric = new double[inputs.Length][];
        for (int k = 0; k < inputs.Length; k++)
        {
            var t = inputs[k];
            if (!t.RequiresGrad) continue;
            numeric[k] = new double[t.Size];
            for (int i = 0; i < t.Size; i++)
            {
                float saved = t.Data[i];
                t.Data[i] = (float)(saved + eps);
                double plus = Loss();
                t.Data[i] = (float)(saved - eps);
                double minus = Loss();
                t.Data[i] = saved;
                // Divide by the step actually taken after rounding to float32.
                double step = (double)(float)(saved + eps) - (float)(saved - eps);
                numeric[k][i] = (plus - minus) / step;
            }
        }

        var report = new GradReport();
        for (int k = 0; k < inputs.Length; k++)
            if (analytic[k] is { } a)
                Compare(a, numeric[k], rtol, atol, report, k);
        return report;
    }

    /// <summary>The comparison rule of the checker, exposed so that it can be tested on its own.</summary>
    public static void Compare(double[] analytic, double[] numeric, double rtol, double atol, GradReport report, int input = 0)
    {
        if (analytic.Length != numeric.Length) throw new ArgumentException("Gradient arrays differ in length.");
        double scale = 0;
        foreach (double v in numeric) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < analytic.Length; i++)
        {
            double a = analytic[i], n = numeric[i];
            double bound = rtol * (Math.Max(Math.Abs(a), Math.Abs(n)) + 0.1 * scale) + atol;
            double err = Math.Abs(a - n);
            report.Checked++;
            if (double.IsNaN(err) || err > bound)
            {
                report.Mismatches.Add(new GradMismatch(input, i, a, n, bound));
                report.WorstRatio = double.IsNaN(err) ? double.PositiveInfinity : Math.Max(report.WorstRatio, err / bound);
            }
            else report.WorstRatio = Math.Max(report.WorstRatio, err / bound);
        }
    }

    /// <summary>A tensor of normal values that will be checked.</summary>
    public static Tensor Randn(Rng rng, params int[] shape) => Grad(Tensor.Normal(0f, 1f, shape, rng));

    /// <summary>Uniform values in [low, high), checked.</summary>
    public static Tensor Rand(Rng rng, float low, float high, params int[] shape) => Grad(Tensor.Uniform(low, high, shape, rng));

    /// <summary>Values whose magnitude is at least <paramref name="minAbs"/> (away from the kink at 0).</summary>
    public static Tensor AwayFromZero(Rng rng, float minAbs, float maxAbs, params int[] shape)
    {
        var t = Tensor.Uniform(minAbs, maxAbs, shape, rng);
        for (int i = 0; i < t.Size; i++) if (rng.NextFloat() < 0.5f) t.Data[i] = -t.Data[i];
        return Grad(t);
    }

    /// <summary>
    /// Distinct values spaced by <paramref name="gap"/> in random order (no ties for max-pooling, and a
    /// finite-difference step smaller than gap/2 cannot change which element wins).
    /// </summary>
    public static Tensor Distinct(Rng rng, float gap, params int[] shape)
    {
        int size = ShapeUtil.CheckedSize(shape);
        var perm = rng.Permutation(size);
        var data = new float[size];
        for (int i = 0; i < size; i++) data[i] = (perm[i] - size / 2) * gap;
        return Grad(new Tensor(data, shape));
    }

    public static Tensor Grad(Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>A constant (no gradient wanted) tensor of normal values.</summary>
    public static Tensor Const(Rng rng, params int[] shape) => Tensor.Normal(0f, 1f, shape, rng);
}
