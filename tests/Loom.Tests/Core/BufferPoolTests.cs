using Loom.Nn;
using Loom.Optim;
using Xunit;

namespace Loom.Tests.Core;

/// <summary>
/// <see cref="BufferPool"/>: buffers come back from one scope to the next, results are bit-identical to
/// unpooled steps, a training step in steady state allocates no activation-sized memory, and misuse is refused.
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
    public void PoisonedBuffersExposeATensorUsedAfterItsScope()
    {
        bool was = BufferPool.PoisonReturned;
        BufferPool.PoisonReturned = true;
        try
        {
            var buffers = new BufferPool();
            Tensor escaped;
            using (buffers.Scope()) escaped = Functional.Relu(Tensor.Ones(5));
            Assert.All(escaped.Data, v => Assert.True(float.IsNaN(v)));
            using (buffers.Scope())
            {
                // The next scope hands out the same storage again.
                var again = Functional.Relu(Tensor.Full(2f, 5));
                Assert.Same(escaped.Data, again.Data);
                Assert.All(again.Data, v => Assert.Equal(2f, v));
            }
        }
        finally { BufferPool.PoisonReturned = was; }
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
