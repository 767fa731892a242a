using Loom.Nn;

namespace Loom.Optim;

/// <summary>
/// Updates parameters from their gradients. Per-parameter state (momentum, moment estimates) is kept
/// in named slots so that checkpoints can save and restore it exactly.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<string, float[]?[]> _slots = [];

    protected Optimizer(IEnumerable<Parameter> parameters, float learningRate)
    {
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0) throw new ArgumentException($"{GetType().Name}: the model has no parameters to optimise.");
        if (!(learningRate >= 0f)) throw new ArgumentOutOfRangeException(nameof(learningRate), $"{GetType().Name}: learning rate must be non-negative, got {learningRate}.");
        LearningRate = learningRate;
        InitialLearningRate = learningRate;
    }

    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The current learning rate; schedulers change it.</summary>
    public float LearningRate { get; set; }

    /// <summary>The learning rate given at construction; schedulers scale from it.</summary>
    public float InitialLearningRate { get; }

    /// <summary>How many times <see cref="Step"/> has run.</summary>
    public long StepCount { get; protected set; }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        StepCount++;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad is null) continue;
            if (p.Grad.Size != p.Size)
                throw new InvalidOperationException($"{GetType().Name}: parameter {i} of shape {ShapeUtil.Format(p.Shape)} has a gradient of shape {ShapeUtil.Format(p.Grad.Shape)}.");
            Update(i, p.Data, p.Grad.Data);
        }
    }

    /// <summary>Updates parameter <paramref name="index"/> in place from its gradient.</summary>
    protected abstract void Update(int index, Span<float> param, ReadOnlySpan<float> grad);

    /// <summary>
    /// Clears every parameter's gradient, as PyTorch's <c>zero_grad()</c> does, keeping the storage for the next
    /// backward pass so that steps allocate no gradient memory. Clone() a gradient you want to keep past it.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.RecycleGrad();
    }

    /// <summary>The state slot <paramref name="name"/> of parameter <paramref name="index"/>, created zeroed on first use.</summary>
    protected float[] Slot(string name, int index)
    {
        if (!_slots.TryGetValue(name, out var arrays)) _slots[name] = arrays = new float[]?[Parameters.Count];
        return arrays[index] ??= new float[Parameters[index].Size];
    }

    /// <summary>True when the slot exists (e.g. SGD's momentum buffer before its first step).</summary>
    protected bool HasSlot(string name, int index) => _slots.TryGetValue(name, out var a) && a[index] is not null;

    /// <summary>Every state buffer, named <c>state.{slot}.{parameterIndex}</c>, for checkpoints.</summary>
    public IEnumerable<(string Name, Tensor Value)> StateTensors()
    {
        foreach (var (slot, arrays) in _slots)
            for (int i = 0; i < arrays.Length; i++)
                if (arrays[i] is { } a) yield return ($"state.{slot}.{i}", new Tensor(a, Parameters[i].Shape));
    }

    /// <summary>Restores what <see cref="StateTensors"/> and <see cref="StepCount"/> saved.</summary>
    public void LoadState(IEnumerable<(string Name, Tensor Value)> tensors, long stepCount, float learningRate)
    {
        _slots.Clear();
        foreach (var (name, value) in tensors)
        {
            var parts = name.Split('.');
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[2], out int index) || index < 0 || index >= Parameters.Count)
                throw new InvalidDataException($"Optimizer state entry '{name}' does not name a slot and a parameter of this model.");
            if (value.Size != Parameters[index].Size)
                throw new InvalidDataException($"Optimizer state entry '{name}' has {value.Size} values; parameter {index} has {Parameters[index].Size}.");
            Slot(parts[1], index);
            _slots[parts[1]][index] = (float[])value.Data.Clone();
        }
        StepCount = stepCount;
        LearningRate = learningRate;
    }

    /// <summary>Short name used in checkpoints and the CLI ("adam", "sgd").</summary>
    public abstract string Kind { get; }
}
