using Loom.Nn;
using Loom.Optim;
using Xunit;

namespace Loom.Tests.Core;

/// <summary>
/// <see cref="BufferPool"/>: buffers come back from one scope to the next, results are bit-identical to
/// unpooled steps, a training step in steady state allocates no activation-sized memory, and misuse — a second
/// scope, a tensor used after its lifetime — is refused at once.
/// </summary>
public class BufferPoolTests
{
    private static Sequential SmallCnn()
    {
        Rng.ManualSeed(42);
        return new Sequential(new Conv2d(1, 4, 3, padding: 1), new Relu(), new MaxPool2d(2), new Flatten(), new Linear(4 * 6 * 6, 10), new Tanh(), new Linear(10, 3));
    }

    private static (Tensor X, Tensor Y) Batch()
    {
        var rng = new Rng(7);
        var y = Tensor.Zeros(8);
        for (int i = 0; i < 8; i++) y.Data[i] = i % 3;
        return (Tensor.Normal(0f, 1f, [8, 1, 12, 12], rng), y);
    }

    private static float Step(Sequential model, Optimizer optimizer, Tensor x, Tensor y)
    {
        optimizer.ZeroGrad();
        var loss = Functional.CrossEntropy(model.Call(x), y);
        float value = loss.Item();
        loss.Backward();
        optimizer.Step();
        return value;
    }

    [Fact]
    public void PooledStepsGiveBitIdenticalResults()
    {
        var (x, y) = Batch();
        var plain = SmallCnn();
        var pooled = SmallCnn();
        var plainOpt = new Adam(plain.Parameters(), 1e-2f);
        var pooledOpt = new Adam(pooled.Parameters(), 1e-2f);
        var buffers = new BufferPool();
        for (int i = 0; i < 5; i++)
        {
            float a = Step(plain, plainOpt, x, y);
            float b;
            using (buffers.Scope()) b = Step(pooled, pooledOpt, x, y);
            Assert.Equal(a, b);
        }
        var p = plain.Parameters().ToList();
        var q = pooled.Parameters().ToList();
        for (int i = 0; i < p.Count; i++) Assert.Equal(p[i].Data, q[i].Data);
        Assert.True(buffers.HeldBuffers > 0, "the pool kept no buffers for the next step");
    }

    [Fact]
    public void SteadyStateStepAllocatesNoActivationMemory()
    {
        var (x, y) = Batch();
        var model = SmallCnn();
        var optimizer = new Sgd(model.Parameters(), 0.01f);
        var buffers = new BufferPool();
        for (int i = 0; i < 3; i++) using (buffers.Scope()) Step(model, optimizer, x, y); // warm up: pool filled, JIT done
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int steps = 5;
        for (int i = 0; i < steps; i++) using (buffers.Scope()) Step(model, optimizer, x, y);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / steps;

        long unpooledBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < steps; i++) Step(model, optimizer, x, y);
        long unpooledPerStep = (GC.GetAllocatedBytesForCurrentThread() - unpooledBefore) / steps;

        // What remains is bookkeeping (tensor objects, shapes, graph nodes, closures): the conv output alone
        // (8×4×12×12 floats) is 18 KB, and the optimizer's ZeroGrad keeps the parameters' gradient storage.
        Assert.True(perStep < 20_000, $"a pooled step allocated {perStep:N0} bytes (unpooled {unpooledPerStep:N0}).");
        Assert.True(unpooledPerStep - perStep > 50_000, $"pooling saved only {unpooledPerStep - perStep:N0} bytes per step.");
    }

    [Fact]
    public void TheSuiteRunsWithLifetimeChecks() =>
        Assert.True(BufferPool.ChecksLifetimes, $"the test project sets the '{BufferPool.CheckLifetimesSwitch}' switch, so that every test catches a use after a lifetime ends");

    [Fact]
    public void ATensorUsedAfterItsScopeThrowsNamingTheOp()
    {
        var buffers = new BufferPool();
        Tensor escaped, view;
        float[] storage;
        using (buffers.Scope())
        {
            escaped = Functional.Relu(Tensor.Ones(6));
            view = escaped.Reshape(2, 3); // a view shares the storage, so its lifetime too
            storage = escaped.Data;
            Assert.Equal(1f, view[1, 2]);
        }
        var read = Assert.Throws<InvalidOperationException>(() => escaped.Data);
        Assert.Contains("Relu", read.Message);
        Assert.Contains("Item()", read.Message);
        Assert.Contains("Clone()", read.Message);
        Assert.Contains("Relu", Assert.Throws<InvalidOperationException>(() => view[0, 0] = 5f).Message); // writes too
        Assert.Throws<InvalidOperationException>(() => escaped.Item());
        Assert.Throws<InvalidOperationException>(() => escaped.Clone());
        Assert.Equal(6, escaped.Size); // the shape is still there to report
        using (buffers.Scope())
        {
            // The next scope hands out the same storage again: the escaped tensor would have read these values.
            var again = Functional.Relu(Tensor.Full(2f, 6));
            Assert.Same(storage, again.Data);
            Assert.All(again.Data, v => Assert.Equal(2f, v));
        }
    }

    [Fact]
    public void AUseAfterTheScopeNamesTheOpThatMadeTheTensor()
    {
        var (x, _) = Batch();
        var model = SmallCnn();
        var buffers = new BufferPool();
        Tensor conv, pooled, logits;
        using (buffers.Scope())
        {
            conv = Functional.Conv2d(x, ((Conv2d)model[0]).Weight, ((Conv2d)model[0]).Bias, (1, 1), (1, 1), (1, 1));
            pooled = Functional.MaxPool2d(conv, (2, 2), (2, 2), (0, 0), (1, 1));
            logits = model.Call(x); // fused Conv2d + ReLU inside the Sequential
        }
        Assert.Contains("Conv2d", Assert.Throws<InvalidOperationException>(() => conv.Data).Message);
        Assert.Contains("MaxPool2d", Assert.Throws<InvalidOperationException>(() => pooled.AsSpan()).Message);
        Assert.Contains("Linear", Assert.Throws<InvalidOperationException>(() => logits[0, 0]).Message);
        // Made outside a scope, the same ops give tensors of their own.
        Assert.Equal(3, model.Call(x).Dim(1));
    }

    [Fact]
    public void AGradientKeptPastZeroGradThrows()
    {
        var w = new Parameter(Tensor.Ones(3));
        var optimizer = new Sgd([w], 0.1f);
        (w * 2f).Sum().Backward();
        var kept = w.Grad!;
        var copy = kept.Clone();
        optimizer.ZeroGrad();
        (w * 3f).Sum().Backward(); // writes the same storage
        var ex = Assert.Throws<InvalidOperationException>(() => kept.Data);
        Assert.Contains("ZeroGrad", ex.Message);
        Assert.All(copy.Data, v => Assert.Equal(2f, v));
        Assert.All(w.Grad!.Data, v => Assert.Equal(3f, v));
    }

    [Fact]
    public void ScopesDisposedOutOfOrderLeaveNoClosedPoolActive()
    {
        var outer = new BufferPool();
        var inner = new BufferPool();
        var outerScope = outer.Scope();
        var innerScope = inner.Scope();
        outerScope.Dispose(); // wrong order
        innerScope.Dispose();
        var after = Functional.Relu(Tensor.Ones(6));
        using (outer.Scope()) Functional.Relu(Tensor.Full(3f, 6));
        Assert.All(after.Data, v => Assert.Equal(1f, v)); // not recycled by either pool
    }

    [Fact]
    public void ZeroGradRecyclesOnlyGradientsItAllocated()
    {
        var w = new Parameter(Tensor.Ones(3));
        var optimizer = new Sgd([w], 0.1f);
        var mine = Tensor.Full(7f, 3);
        w.Grad = mine;
        optimizer.ZeroGrad();
        (w * 2f).Sum().Backward();
        Assert.NotSame(mine.Data, w.Grad!.Data);
        Assert.All(mine.Data, v => Assert.Equal(7f, v));
        var first = w.Grad.Data;
        optimizer.ZeroGrad();
        (w * 3f).Sum().Backward();
        Assert.Same(first, w.Grad!.Data); // its own storage comes back
        Assert.All(w.Grad.Data, v => Assert.Equal(3f, v));
    }

    [Fact]
    public void OptimizerRejectsAGradientOfAnotherSize()
    {
        var w = new Parameter(Tensor.Ones(4));
        w.Grad = Tensor.Ones(3);
        var ex = Assert.Throws<InvalidOperationException>(() => new Adam([w]).Step());
        Assert.Contains("(4)", ex.Message);
        Assert.Contains("(3)", ex.Message);
    }

    [Fact]
    public void OneScopeAtATimeAndNothingPooledOutsideScopes()
    {
        var buffers = new BufferPool();
        using (buffers.Scope())
            Assert.Throws<InvalidOperationException>(() => buffers.Scope());
        var outside = Functional.Relu(Tensor.Ones(4));
        using (buffers.Scope()) { }
        Assert.All(outside.Data, v => Assert.Equal(1f, v));
        Assert.Equal(0, buffers.HeldBuffers);
    }
}
