using System.Globalization;
using Loom.Inspect;
using Loom.Nn;
using Loom.Serialization;

namespace Loom.Cli.Inspect;

/// <summary>
/// The pictures of an image model for one input: the top predictions; for a CNN the first layer's kernels, every
/// convolution's feature maps, a saliency map and Grad-CAM; for a recurrent reader of rows the hidden state as the
/// rows are read and the prediction after each row.
/// </summary>
internal static class ImageInspection
{
    public static void Write(ReportPage page, Sequential model, ModelSpec spec, float[] image, int? label, string source, int? targetClass, int top, string outDir)
    {
        var x = new Tensor((float[])image.Clone(), [1, .. spec.InputShape]);
        var outputs = Inspector.Outputs(model, x);
        var probabilities = Softmax(outputs.Output.Data);
        int predicted = ArgMax(probabilities);
        int target = targetClass ?? predicted;
        if (target < 0 || target >= spec.Classes) throw new UserException($"--class {target} is outside the model's {spec.Classes} classes (0..{spec.Classes - 1}).");
        string Name(int c) => spec.ClassNames?[c] ?? c.ToString(CultureInfo.InvariantCulture);

        page.Heading("Prediction").Paragraph($"{source}: predicted {Name(predicted)}" + (label is int l ? $", true label {Name(l)}." : "."));
        page.Bars(Enumerable.Range(0, spec.Classes).OrderByDescending(c => probabilities[c]).Take(top).Select(c => (Name(c), (double)probabilities[c])));
        Save(page, outDir, "input.png", Raster.Grid([image], spec.InputShape[1], spec.InputShape[2], 8, 1, v => ValueColors.Sequential(v)), "The input as the model sees it (after normalisation).");

        var convs = model.NamedModules().Where(m => m.Module is Conv2d).ToList();
        if (convs.Count > 0) Convolutional(page, model, spec, x, outputs, convs, target, Name(target), outDir);
        if (model.Layers.FirstOrDefault(l => l is RecurrentLayer) is RecurrentLayer rnn && convs.Count == 0)
            RowByRow(page, model, spec, outputs, rnn, predicted, label, Name, outDir);
    }

    private static void Convolutional(ReportPage page, Sequential model, ModelSpec spec, Tensor x, LayerOutputs outputs,
        List<(string Path, Module Module)> convs, int target, string targetName, string outDir)
    {
        var first = (Conv2d)convs[0].Module;
        var (kh, kw) = first.KernelSize;
        int perKernel = kh * kw;
        var kernels = Enumerable.Range(0, first.OutChannels * first.Weight.Shape[1])
            .Select(k => first.Weight.Data.AsSpan(k * perKernel, perKernel).ToArray()).ToList();
        var all = first.Weight.Data;
        page.Heading("First-layer kernels");
        Save(page, outDir, "kernels.png", Raster.Grid(kernels, kh, kw, 14, Math.Min(8, kernels.Count), _ => ValueColors.Diverging(all)),
            $"The {kernels.Count} learned {kh}×{kw} kernels of layer '{convs[0].Path}' ({first.Describe()}), one colour scale for all: red positive, blue negative, white zero.");

        if ((kh, kw) == (3, 3)) KernelShapes(page, kernels);

        page.Heading("Feature maps");
        foreach (var (path, module) in convs)
        {
            var y = outputs[path];
            int c = y.Shape[1], h = y.Shape[2], w = y.Shape[3];
            var maps = Enumerable.Range(0, c).Select(ch => y.Data.AsSpan(ch * h * w, h * w).ToArray()).ToList();
            int scale = Math.Max(2, 56 / Math.Max(h, w));
            Save(page, outDir, $"feature-maps-{Safe(path)}.png", Raster.Grid(maps, h, w, scale, Math.Min(16, c), m => ValueColors.Diverging(m)),
                $"Layer '{path}' ({module.Describe()}): its {c} feature maps ({h}×{w}) for this input, before the activation; each map on its own scale.");
        }

        var gradients = Inspector.Gradients(model, x, target);
        var saliency = gradients.Saliency();
        page.Heading($"Where the evidence for '{targetName}' is");
        Save(page, outDir, "saliency.png", Raster.Grid([saliency.Data], saliency.Shape[1], saliency.Shape[2], 8, 1, m => ValueColors.Sequential(m)),
            $"Saliency: |∂ score('{targetName}') / ∂ pixel|, the largest over channels (bright: a small change there moves the score most).");
        var last = convs[^1].Path;
        // Grad-CAM reads the last convolution's maps after their activation (past a batch norm, if any), as its authors did.
        int index = model.Layers.ToList().FindIndex(l => l.Name == last);
        int relu = index < 0 ? -1 : model.Layers.ToList().FindIndex(index + 1, l => l is Relu);
        string camLayer = relu > index && relu <= index + 2 ? model.Layers[relu].Name : last;
        var cam = Inspector.GradCam(model, x, camLayer, target);
        var upsampled = Upsample(cam.Data, cam.Shape[1], cam.Shape[2], spec.InputShape[1], spec.InputShape[2]);
        Save(page, outDir, "grad-cam.png", Overlay(x.Data, upsampled, spec.InputShape[1], spec.InputShape[2], 8),
            $"Grad-CAM at layer '{camLayer}' ({cam.Shape[1]}×{cam.Shape[2]}, upsampled) over the input: bright where the last feature maps argue for '{targetName}'.");
    }

    private static readonly (string Name, float[] Template)[] Templates =
    [
        ("vertical edge (Sobel x)", [-1, 0, 1, -2, 0, 2, -1, 0, 1]),
        ("horizontal edge (Sobel y)", [-1, -2, -1, 0, 0, 0, 1, 2, 1]),
        ("diagonal edge /", [0, 1, 2, -1, 0, 1, -2, -1, 0]),
        ("diagonal edge \\", [2, 1, 0, 1, 0, -1, 0, -1, -2]),
        ("centre against surround", [-1, -1, -1, -1, 8, -1, -1, -1, -1]),
    ];

    /// <summary>
    /// Which classic 3×3 filter each kernel resembles: the cosine of its mean-free weights with each template (the
    /// sign says whether it matches the filter or its negative), and the share of its weight in its mean (a blur).
    /// </summary>
    private static void KernelShapes(ReportPage page, List<float[]> kernels)
    {
        var rows = new List<IReadOnlyList<string>>();
        for (int k = 0; k < kernels.Count; k++)
        {
            var v = kernels[k];
            float mean = v.Average();
            var centred = v.Select(x => x - mean).ToArray();
            double norm = Math.Sqrt(centred.Sum(x => (double)x * x)) + 1e-12;
            var (name, cosine) = Templates.Select(t => (t.Name, Cos: Dot(t.Template, centred) / (Math.Sqrt(t.Template.Sum(x => (double)x * x)) * norm)))
                .MaxBy(t => Math.Abs(t.Cos));
            double dc = Math.Abs(mean) * 3 / (Math.Sqrt(v.Sum(x => (double)x * x)) + 1e-12);
            rows.Add([k.ToString(CultureInfo.InvariantCulture), $"{k / 8 + 1}, {k % 8 + 1}", name, cosine.ToString("F2", CultureInfo.InvariantCulture), dc.ToString("F2", CultureInfo.InvariantCulture)]);
        }
        page.Paragraph("Each kernel against five classic filters: the cosine of its mean-free weights with the closest one (negative: its mirror image), and the share of its weight in its mean (1: a pure blur).")
            .Table(["kernel", "row, column", "closest filter", "cosine", "mean share"], rows.OrderByDescending(r => Math.Abs(double.Parse(r[3], CultureInfo.InvariantCulture))));
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    private static void RowByRow(ReportPage page, Sequential model, ModelSpec spec, LayerOutputs outputs, RecurrentLayer rnn, int predicted, int? label,
        Func<int, string> name, string outDir)
    {
        int index = model.Layers.ToList().IndexOf(rnn);
        var input = index == 0 ? outputs.Input : outputs[model.Layers[index - 1].Name];
        var trace = Inspector.Trace(rnn, input);
        var last = trace.Of(rnn.NumLayers - 1);
        int T = trace.Steps, H = trace.HiddenSize;
        page.Heading("The hidden state as the rows are read");
        Save(page, outDir, "hidden-states.png", Raster.Grid([Transpose(last.Hidden, T, H)], H, T, 4, 1, m => ValueColors.Diverging(m)),
            $"Each column is a step (a row of pixels, top to bottom), each row one of the {H} hidden units of {rnn.Describe()}: red positive, blue negative.");

        // The layers after the recurrent one read its final state; fed the state after step t instead, they say what
        // the model would answer had the image ended there.
        var head = model.Layers.Skip(index + 1).ToList();
        var perStep = new float[spec.Classes * T];
        bool wasTraining = model.Training;
        using (Autograd.GradMode.NoGrad())
        {
            model.Eval();
            for (int t = 0; t < T; t++)
            {
                var h = new Tensor(last.Hidden.AsSpan(t * H, H).ToArray(), 1, H);
                foreach (var layer in head) h = layer.Forward(h);
                var p = Softmax(h.Data);
                for (int c = 0; c < spec.Classes; c++) perStep[c * T + t] = p[c];
            }
            model.Train(wasTraining);
        }
        page.Heading("The prediction after each row");
        Save(page, outDir, "prediction-per-row.png", Raster.Grid([perStep], spec.Classes, T, 8, 1, _ => ValueColors.Ramp),
            "Rows: the classes (" + string.Join(", ", Enumerable.Range(0, spec.Classes).Select(name)) + "); columns: the steps. Bright: probable after that many rows.");
        int[] shown = label is int l && l != predicted ? [predicted, l] : [predicted];
        string Likeliest(int t) => name(Enumerable.Range(0, spec.Classes).MaxBy(c => perStep[c * T + t]));
        page.Table(["after row", "most probable", .. shown.Select(c => $"P({name(c)})")],
            Enumerable.Range(0, T).Where(t => t % 4 == 3 || t == T - 1).Select(t => (IReadOnlyList<string>)[
                (t + 1).ToString(CultureInfo.InvariantCulture), Likeliest(t), .. shown.Select(c => perStep[c * T + t].ToString("P1", CultureInfo.InvariantCulture))]));
        page.Heading("The recurrence unrolled").Raw(Unrolled.Svg(rnn, Enumerable.Range(1, Math.Min(T, 5)).Select(t => $"row {t}").ToList(), "logits"));
    }

    private static void Save(ReportPage page, string outDir, string file, Raster raster, string caption)
    {
        raster.Save(Path.Combine(outDir, file));
        page.Image(file, caption);
    }

    internal static float[] Softmax(ReadOnlySpan<float> logits)
    {
        float max = float.MinValue;
        foreach (float v in logits) max = Math.Max(max, v);
        var p = new float[logits.Length];
        float sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = MathF.Exp(logits[i] - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    internal static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /// <summary>(T, H) row-major → (H, T): one row per unit, one column per step.</summary>
    internal static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
        return t;
    }

    /// <summary>Bilinear resize of an h×w map to oh×ow, sampling at pixel centres.</summary>
    private static float[] Upsample(float[] map, int h, int w, int oh, int ow)
    {
        var y = new float[oh * ow];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                float sy = Math.Clamp((i + 0.5f) * h / oh - 0.5f, 0, h - 1), sx = Math.Clamp((j + 0.5f) * w / ow - 0.5f, 0, w - 1);
                int y0 = (int)sy, x0 = (int)sx, y1 = Math.Min(y0 + 1, h - 1), x1 = Math.Min(x0 + 1, w - 1);
                float fy = sy - y0, fx = sx - x0;
                y[i * ow + j] = (1 - fy) * ((1 - fx) * map[y0 * w + x0] + fx * map[y0 * w + x1]) + fy * ((1 - fx) * map[y1 * w + x0] + fx * map[y1 * w + x1]);
            }
        return y;
    }

    /// <summary>The grey input with the map (0…1) laid over it as colour, half and half.</summary>
    private static Raster Overlay(float[] image, float[] map, int h, int w, int scale)
    {
        float lo = image.Min(), range = Math.Max(image.Max() - lo, 1e-12f);
        var raster = new Raster(w * scale, h * scale);
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
            {
                float grey = (image[i * w + j] - lo) / range * 255;
                var (r, g, b) = ValueColors.Ramp(map[i * w + j]);
                var c = ((byte)((grey + r) / 2), (byte)((grey + g) / 2), (byte)((grey + b) / 2));
                for (int dy = 0; dy < scale; dy++)
                    for (int dx = 0; dx < scale; dx++) raster.Set(j * scale + dx, i * scale + dy, c);
            }
        return raster;
    }

    internal static string Safe(string path) => path.Length == 0 ? "model" : path.Replace('.', '-');
}
