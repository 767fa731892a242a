using System.Text;

namespace Loom.Nn;

/// <summary>
/// The base of every layer and model, as PyTorch's <c>nn.Module</c>: named parameters, buffers and
/// children (state-dict names such as <c>0.weight</c>, <c>features.3.running_mean</c>), train/eval mode,
/// forward hooks, and <see cref="Call"/>, through which containers run their children.
/// <para>
/// Sequences travel explicitly: <see cref="Forward(Tensor, int[])"/> takes each sequence's valid length, a
/// layer that reads sequences (a recurrent layer, <see cref="SequencePool"/>) overrides it, every other layer
/// ignores the lengths, and every container passes them to each child. Where the lengths come from is also a
/// layer's own business: <see cref="LengthsFromInput"/> (an <see cref="Embedding"/> with a padding index reads
/// them off its token ids, as Keras' <c>mask_zero</c>).
/// </para>
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Parameter Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value)> _buffers = [];
    private readonly List<(string Name, Module Value)> _children = [];
    private readonly HashSet<string> _childNames = [];
    private List<Action<Module, Tensor>>? _forwardHooks;

    /// <summary>The name under which the parent registered this module ("3", "conv1"); empty at the root.</summary>
    public string Name { get; private set; } = "";

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Computes the output for one batch. Shapes are documented by each layer.</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>
    /// As <see cref="Forward(Tensor)"/> for a batch of sequences whose valid lengths are <paramref name="lengths"/>
    /// (null: every sequence is full). Layers that do not read sequences ignore the lengths.
    /// </summary>
    public virtual Tensor Forward(Tensor x, int[]? lengths) => Forward(x);

    /// <summary>
    /// The sequence lengths this layer reads off its own input, for the layers after it in a container; null
    /// when it implies none (all but an <see cref="Embedding"/> with a padding index).
    /// </summary>
    public virtual int[]? LengthsFromInput(Tensor x) => null;

    /// <summary>
    /// Each sequence's valid steps in this layer's output, given those of its input: the same for every layer that
    /// keeps the steps axis; a layer that convolves, pools or pads over time maps them as it maps that axis (see
    /// <see cref="StepLengths"/>), so the recurrent layer after a strided convolution reads each clip's own frames.
    /// Containers compose their children's.
    /// </summary>
    public virtual int[] OutputLengths(int[] lengths) => lengths;

    /// <summary>Runs <see cref="Forward(Tensor, int[])"/>, then this module's forward hooks; containers call their children through it.</summary>
    public Tensor Call(Tensor x, int[]? lengths = null)
    {
        var y = Forward(x, lengths);
        if (_forwardHooks is { } hooks)
            foreach (var hook in hooks.ToArray()) hook(this, y);
        return y;
    }

    /// <summary>
    /// Calls <paramref name="hook"/> with this module and its output after every <see cref="Call"/>, until the
    /// returned handle is disposed (PyTorch's <c>register_forward_hook</c>). While a layer has hooks, nothing fuses
    /// it with its neighbour, so each hook sees exactly that layer's output.
    /// </summary>
    public IDisposable RegisterForwardHook(Action<Module, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        (_forwardHooks ??= []).Add(hook);
        return new HookHandle(this, hook);
    }

    /// <summary>Whether any forward hook watches this module.</summary>
    public bool HasForwardHooks => _forwardHooks is { Count: > 0 };

    private sealed class HookHandle(Module module, Action<Module, Tensor> hook) : IDisposable
    {
        public void Dispose()
        {
            module._forwardHooks?.Remove(hook);
            if (module._forwardHooks is { Count: 0 }) module._forwardHooks = null;
        }
    }

    /// <summary>Forgets the state a stateful layer carries between batches, in this module and all below it.</summary>
    public void ResetStates()
    {
        foreach (var (_, m) in NamedModules()) m.ResetState();
    }

    /// <summary>Forgets this layer's carried state; only stateful layers have one.</summary>
    protected virtual void ResetState() { }

    /// <summary>
    /// How this layer names itself in errors and in the graph: its type, its name in the model, and its arguments.
    /// Built at every call unless <see cref="DescriptionIsFixed"/>; then kept, and built again only when the name changes.
    /// </summary>
    protected string Label => DescriptionIsFixed ? Kept().Text : ComposeLabel();

    /// <summary><see cref="Label"/> + " + ReLU": how a ReLU fused into this layer (<see cref="IReluFusible"/>) is named in the graph; kept alike.</summary>
    protected string ReluFusedLabel => DescriptionIsFixed ? Kept().ReluFused : ComposeLabel() + FusedRelu;

    private const string FusedRelu = " + ReLU";

    /// <summary>The labels kept for the current name: one reference, so that a thread never sees one name's label under another name.</summary>
    private KeptLabel Kept()
    {
        var kept = _keptLabel;
        if (kept is null || !ReferenceEquals(kept.Name, Name))
        {
            string text = ComposeLabel();
            _keptLabel = kept = new KeptLabel(Name, text, text + FusedRelu);
        }
        return kept;
    }

    /// <summary>
    /// Whether <see cref="Describe"/> reads only what the constructor fixed, so that <see cref="Label"/> may be kept
    /// rather than built (a few strings) at every forward. False unless a layer says so.
    /// </summary>
    protected virtual bool DescriptionIsFixed => false;

    private sealed record KeptLabel(string Name, string Text, string ReluFused);

    private KeptLabel? _keptLabel;

    private string ComposeLabel() => Name.Length == 0 ? Describe() : $"{Describe()} (layer '{Name}')";

    protected Parameter RegisterParameter(string name, Tensor value)
    {
        var p = value as Parameter ?? new Parameter(value);
        _parameters.Add((name, p));
        return p;
    }

    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        _buffers.Add((name, value));
        return value;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        if (!_childNames.Add(name)) throw new ArgumentException($"A child module named '{name}' is already registered.");
        module.Name = name;
        _children.Add((name, module));
        return module;
    }

    public IReadOnlyList<(string Name, Module Module)> Children => _children;

    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in _parameters) yield return (prefix + n, p);
        foreach (var (n, m) in _children)
            foreach (var item in m.NamedParameters(prefix + n + ".")) yield return item;
    }

    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (n, b) in _buffers) yield return (prefix + n, b);
        foreach (var (n, m) in _children)
            foreach (var item in m.NamedBuffers(prefix + n + ".")) yield return item;
    }

    /// <summary>This module and all below it, depth first, with their dotted paths.</summary>
    public IEnumerable<(string Path, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix.TrimEnd('.'), this);
        foreach (var (n, m) in _children)
            foreach (var item in m.NamedModules(prefix + n + ".")) yield return item;
    }

    /// <summary>A Keras-style table of layers, output shapes and parameter counts for samples of <paramref name="sampleShape"/> (no batch dimension).</summary>
    public ModelSummary Summary(params int[] sampleShape) => ModelSummary.Create(this, sampleShape);

    /// <summary>Total number of learnable scalars.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Size);

    /// <summary>Parameters and buffers by PyTorch state-dict name, in registration order.</summary>
    public IReadOnlyList<(string Name, Tensor Value)> StateDict()
    {
        var list = new List<(string, Tensor)>();
        Collect(this, "", list);
        return list;

        static void Collect(Module m, string prefix, List<(string, Tensor)> list)
        {
            foreach (var (n, p) in m._parameters) list.Add((prefix + n, p));
            foreach (var (n, b) in m._buffers) list.Add((prefix + n, b));
            foreach (var (n, c) in m._children) Collect(c, prefix + n + ".", list);
        }
    }

    /// <summary>
    /// Copies values into this module's parameters and buffers by name. With <paramref name="strict"/>,
    /// a missing or unexpected name is an error; a shape mismatch always is.
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Where(o => !state.ContainsKey(o.Name)).Select(o => o.Name).ToList();
        var ownNames = own.Select(o => o.Name).ToHashSet();
        var unexpected = state.Keys.Where(k => !ownNames.Contains(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new InvalidDataException("State dict does not match the model: " +
                (missing.Count > 0 ? $"missing {Loom.IO.ErrorText.List(missing)}" : "") +
                (missing.Count > 0 && unexpected.Count > 0 ? "; " : "") +
                // Bounded: a file with a million stray names made a message of 8.9 million characters.
                (unexpected.Count > 0 ? $"unexpected {Loom.IO.ErrorText.List(unexpected)}" : "") + ".");
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue(name, out var source)) continue;
            if (source.Size != target.Size || (source.Rank > 0 && !ShapeUtil.SameShape(source.Shape, target.Shape) && target.Size != 1))
                throw new InvalidDataException($"State dict entry '{Loom.IO.ErrorText.Clean(name, 80)}' has shape {ShapeUtil.Format(source.Shape)}, the model expects {ShapeUtil.Format(target.Shape)}.");
            source.Data.AsSpan().CopyTo(target.Data);
        }
    }

    /// <summary>Sets training mode here and below.</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, c) in _children) c.Train(mode);
        return this;
    }

    /// <summary>Sets evaluation mode here and below.</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ZeroGrad();
    }

    /// <summary>The constructor arguments in PyTorch's repr style, e.g. <c>Linear(in_features=4, out_features=2, bias=True)</c>.</summary>
    public virtual string Describe() => GetType().Name + "()";

    public override string ToString()
    {
        if (_children.Count == 0) return Describe();
        var sb = new StringBuilder(GetType().Name).Append("(\n");
        foreach (var (n, c) in _children)
            sb.Append("  (").Append(n).Append("): ").Append(c.ToString().Replace("\n", "\n  ")).Append('\n');
        return sb.Append(')').ToString();
    }

    protected static string PyBool(bool b) => b ? "True" : "False";
}
