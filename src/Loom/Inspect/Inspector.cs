using Loom.Autograd;
using Loom.Kernels;
using Loom.Nn;

namespace Loom.Inspect;

/// <summary>
/// Looks inside a model without editing it: every layer's output by name, gradients of a class score with respect
/// to the input (saliency) and to chosen layers' outputs (Grad-CAM), and the hidden states and gates of a recurrent
/// layer at every step. It works through forward hooks, so it sees into every container; the model runs in eval mode
/// and is switched back to the mode it was in. Not for a model that other threads are running at the same time.
/// </summary>
public static class Inspector
{
    /// <summary>x: a batch the model takes → the output of every module, with gradients off.</summary>
    public static LayerOutputs Outputs(Module model, Tensor x)
    {
        using (GradMode.NoGrad()) return Run(model, x, _ => { });
    }

    /// <summary>
    /// The gradient of each sample's score for class <paramref name="targetClass"/> (default: the predicted class)
    /// with respect to the input, and to the outputs of the modules at <paramref name="layers"/> (their
    /// <see cref="Tensor.Grad"/>), for an output (N, classes). The scores are the logits before any softmax.
    /// </summary>
    public static InputGradients Gradients(Module model, Tensor x, int? targetClass = null, IEnumerable<string>? layers = null)
    {
        var watched = new HashSet<string>(layers ?? []);
        var input = x.Clone();
        input.RequiresGrad = true;
        if (!GradMode.IsEnabled) throw new InvalidOperationException("Gradients cannot be taken inside GradMode.NoGrad().");
        var outputs = Run(model, input, y => y.RetainGrad(), watched);
        var logits = outputs.Output;
        if (logits.Rank != 2) throw new ArgumentException($"Gradients need class scores (N, classes), but the model gives {ShapeUtil.Format(logits.Shape)}.");
        int n = logits.Shape[0], classes = logits.Shape[1];
        var targets = new int[n];
        var seed = new float[logits.Size];
        for (int i = 0; i < n; i++)
        {
            int c = targetClass ?? ArgMax(logits.Data.AsSpan(i * classes, classes));
            if (c < 0 || c >= classes) throw new ArgumentOutOfRangeException(nameof(targetClass), $"Class {c} is outside the model's {classes} classes.");
            targets[i] = c;
            seed[i * classes + c] = 1f;
        }
        logits.Backward(new Tensor(seed, logits.Shape));
        foreach (var p in model.Parameters()) p.ZeroGrad();
        return new InputGradients(outputs, input.Grad!, targets);
    }

    /// <summary>
    /// Grad-CAM (Selvaraju et al. 2017) at the convolutional layer <paramref name="layer"/>: each feature map weighted
    /// by the mean gradient of the class score over it, summed, through a ReLU → (N, H', W') at the layer's
    /// resolution, each map scaled to a maximum of 1 (all zeros when no map argues for the class).
    /// </summary>
    public static Tensor GradCam(Module model, Tensor x, string layer, int? targetClass = null)
    {
        var g = Gradients(model, x, targetClass, [layer]);
        var a = g.Outputs[layer];
        var grad = a.Grad ?? throw new ArgumentException($"Layer '{layer}' does not lead to the class scores, so it has no gradient.");
        if (a.Rank != 4) throw new ArgumentException($"Grad-CAM needs a layer with feature maps (N, C, H, W), but '{layer}' gives {ShapeUtil.Format(a.Shape)}.");
        int n = a.Shape[0], c = a.Shape[1], plane = a.Shape[2] * a.Shape[3];
        var cam = new float[n * plane];
        for (int i = 0; i < n; i++)
        {
            var map = cam.AsSpan(i * plane, plane);
            for (int ch = 0; ch < c; ch++)
            {
                int offset = (i * c + ch) * plane;
                float weight = 0f;
                for (int p = 0; p < plane; p++) weight += grad.Data[offset + p];
                weight /= plane;
                for (int p = 0; p < plane; p++) map[p] += weight * a.Data[offset + p];
            }
            float max = 0f;
            for (int p = 0; p < plane; p++) max = Math.Max(max, map[p] = Math.Max(0f, map[p]));
            if (max > 0f) for (int p = 0; p < plane; p++) map[p] /= max;
        }
        return new Tensor(cam, n, a.Shape[2], a.Shape[3]);
    }

    /// <summary>
    /// Runs <paramref name="layer"/> over x (its own layout: (N, T, in) batch-first, else (T, N, in)) with the naive
    /// reference cell, layer by layer and direction by direction, and returns every step's hidden state, gates and
    /// cell state. The hidden states are the layer's own outputs (the tests check it), computed the plain way so
    /// that the gates can be read.
    /// </summary>
    public static RecurrentTrace Trace(RecurrentLayer layer, Tensor x, int[]? lengths = null)
    {
        if (x.Rank != 3 || x.Shape[2] != layer.InputSize)
            throw new ArgumentException($"Trace needs input {(layer.BatchFirst ? "(N, T, " : "(T, N, ")}{layer.InputSize}), got {ShapeUtil.Format(x.Shape)}.");
        int n = x.Shape[layer.BatchFirst ? 0 : 1], T = x.Shape[layer.BatchFirst ? 1 : 0], H = layer.HiddenSize, D = layer.NumDirections;
        var input = layer.BatchFirst ? x.Data : Functional.Transpose(x, 0, 1).Data; // the trace is batch-major
        int width = layer.InputSize;
        var directions = new List<RecurrentTrace.Direction>();
        for (int l = 0; l < layer.NumLayers; l++)
        {
            var next = new float[n * T * D * H];
            for (int d = 0; d < D; d++)
            {
                var w = layer.WeightsOf(l, d == 1);
                var shape = new RecurrentShape(layer.Cell, T, n, width, H, BatchFirst: true, Reverse: d == 1);
                var hidden = new float[n * T * H];
                var (gates, cells) = RecurrentKernelReference.ForwardWithGates(shape, input, width,
                    new CellWeights(w.WeightIh.Data, w.WeightHh.Data, w.BiasIh is null ? default : w.BiasIh.Data, w.BiasHh is null ? default : w.BiasHh.Data),
                    default, default, lengths, hidden, H, new float[n * H], new float[n * H]);
                directions.Add(new RecurrentTrace.Direction(l, d == 1, hidden, gates, cells));
                for (int row = 0; row < n * T; row++) hidden.AsSpan(row * H, H).CopyTo(next.AsSpan(row * D * H + d * H, H));
            }
            (input, width) = (next, D * H);
        }
        string[] names = layer.Cell switch
        {
            RecurrentCellKind.Lstm => ["i", "f", "g", "o"],
            RecurrentCellKind.Gru => ["r", "z", "n"],
            _ => ["h"],
        };
        return new RecurrentTrace(n, T, H, names, directions);
    }

    /// <summary>
    /// The model on x in eval mode, with a forward hook on every module that records its output (and hands it to
    /// <paramref name="onWatched"/> when its path is in <paramref name="watched"/>, or always when that is null).
    /// </summary>
    private static LayerOutputs Run(Module model, Tensor x, Action<Tensor> onWatched, HashSet<string>? watched = null)
    {
        var layers = new List<(string, Module, Tensor)>();
        var hooks = new List<IDisposable>();
        bool wasTraining = model.Training;
        foreach (var (path, module) in model.NamedModules())
            hooks.Add(module.RegisterForwardHook((m, y) =>
            {
                layers.Add((path, m, y));
                if (watched is null || watched.Contains(path)) onWatched(y);
            }));
        try
        {
            model.Eval();
            var output = model.Call(x);
            if (watched is not null)
                foreach (var path in watched)
                    if (!layers.Exists(l => l.Item1 == path))
                        throw new ArgumentException($"No layer '{path}' ran; the model's layers are {string.Join(", ", layers.Select(l => $"'{l.Item1}'"))}.");
            return new LayerOutputs(x, output, layers);
        }
        finally
        {
            foreach (var hook in hooks) hook.Dispose();
            model.Train(wasTraining);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}

/// <summary>What <see cref="Inspector.Gradients"/> returns: the layer outputs (watched ones carry their <see cref="Tensor.Grad"/>), the input's gradient and the class each sample's score was taken for.</summary>
public sealed record InputGradients(LayerOutputs Outputs, Tensor Input, int[] Classes)
{
    /// <summary>
    /// Saliency (Simonyan et al. 2014): the largest absolute input gradient over the channels at each position,
    /// (N, C, H, W) → (N, H, W); other input ranks keep their shape, as absolute values.
    /// </summary>
    public Tensor Saliency()
    {
        if (Input.Rank != 4)
        {
            var abs = new float[Input.Size];
            for (int i = 0; i < abs.Length; i++) abs[i] = MathF.Abs(Input.Data[i]);
            return new Tensor(abs, Input.Shape);
        }
        int n = Input.Shape[0], c = Input.Shape[1], plane = Input.Shape[2] * Input.Shape[3];
        var map = new float[n * plane];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < plane; p++)
                    map[i * plane + p] = Math.Max(map[i * plane + p], MathF.Abs(Input.Data[(i * c + ch) * plane + p]));
        return new Tensor(map, n, Input.Shape[2], Input.Shape[3]);
    }
}
