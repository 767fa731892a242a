using Xunit;
using static Loom.Tests.GradCheck.GradChecker;

namespace Loom.Tests.GradCheck;

/// <summary>Add/Sub/Mul/Div (same shape and broadcasting), scalar ops, Exp, Log, Sqrt, Neg, Square.</summary>
public class ElementwiseGradTests
{
    public static TheoryData<int[], int[]> BroadcastShapes => new()
    {
        { new[] { 3, 4 }, new[] { 3, 4 } },
        { new[] { 3, 4 }, new[] { 4 } },
        { new[] { 4 }, new[] { 3, 4 } },
        { new[] { 3, 1 }, new[] { 1, 4 } },
        { new[] { 2, 3, 4 }, new[] { 3, 1 } },
        { new[] { 2, 1, 4 }, new[] { 2, 3, 1 } },
        { new[] { 2, 3 }, new[] { 1 } },
        { new[] { 2, 3 }, Array.Empty<int>() },
    };

    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Add(int[] sa, int[] sb)
    {
        var rng = new Rng(10);
        Check(xs => Functional.Add(xs[0], xs[1]), [Randn(rng, sa), Randn(rng, sb)]);
    }

    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Sub(int[] sa, int[] sb)
    {
        var rng = new Rng(11);
        Check(xs => Functional.Sub(xs[0], xs[1]), [Randn(rng, sa), Randn(rng, sb)]);
    }

    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Mul(int[] sa, int[] sb)
    {
        var rng = new Rng(12);
        Check(xs => Functional.Mul(xs[0], xs[1]), [Randn(rng, sa), Randn(rng, sb)]);
    }

    [Theory, MemberData(nameof(BroadcastShapes))]
    public void Div(int[] sa, int[] sb)
    {
        var rng = new Rng(13);
        Check(xs => Functional.Div(xs[0], xs[1]), [Randn(rng, sa), AwayFromZero(rng, 0.5f, 2f, sb)]);
    }

    [Fact]
    public void OnlyOneSideRequiresGrad()
    {
        var rng = new Rng(14);
        var a = Randn(rng, 3, 4);
        var b = AwayFromZero(rng, 0.5f, 2f, 4);
        b.RequiresGrad = false;
        Check(xs => Functional.Div(xs[0], xs[1]), [a, b]);
        Check(xs => Functional.Mul(xs[1], xs[0]), [a, b]);
    }

    [Fact]
    public void SameTensorOnBothSides()
    {
        var x = Randn(new Rng(15), 5);
        Check(t => Functional.Mul(t, t), x);
        Check(t => Functional.Square(t), x);
        Check(t => Functional.Sub(Functional.Add(t, t), Functional.Mul(t, t)), x);
    }

    [Fact]
    public void AddScalar() => Check(t => Functional.AddScalar(t, 2.5f), Randn(new Rng(16), 2, 3));

    [Fact]
    public void MulScalar() => Check(t => Functional.MulScalar(t, -1.75f), Randn(new Rng(17), 2, 3));

    [Fact]
    public void Neg() => Check(t => Functional.Neg(t), Randn(new Rng(18), 4));

    [Fact]
    public void Operators()
    {
        var rng = new Rng(19);
        Check(xs => (xs[0] * xs[1] + xs[0] / xs[1] - 2f * xs[0]) * 0.5f + 1f, [Randn(rng, 2, 3), AwayFromZero(rng, 0.5f, 2f, 3)]);
    }

    [Fact]
    public void Exp() => Check(t => Functional.Exp(t), Rand(new Rng(20), -2f, 1.5f, 3, 4));

    [Fact]
    public void Log() => Check(t => Functional.Log(t), Rand(new Rng(21), 0.3f, 3f, 3, 4));

    [Fact]
    public void Sqrt() => Check(t => Functional.Sqrt(t), Rand(new Rng(22), 0.3f, 3f, 3, 4));

    [Fact]
    public void ChainOfElementwiseOps()
    {
        // log(exp(x)·√y) exercises several closures in one graph.
        var rng = new Rng(23);
        Check(xs => Functional.Log(Functional.Mul(Functional.Exp(xs[0]), Functional.Sqrt(xs[1]))),
            [Rand(rng, -1f, 1f, 6), Rand(rng, 0.5f, 2f, 6)]);
    }
}
