using Loom.IO;
using ScottPlot;

namespace Loom.Cli.Compare;

/// <summary>
/// The comparison's PNG charts, drawn with ScottPlot (SkiaSharp underneath) from the same numbers as the JSON:
/// learning curves (held-out metric per epoch, one line per model), metric against parameters and metric against
/// training time (one point per model). CNNs are circles, RNNs squares, hybrids triangles; baselines are dashed lines.
/// </summary>
internal static class Charts
{
    private const int Width = 900, Height = 560;

    /// <summary>Writes the three charts into <paramref name="folder"/> and returns their paths.</summary>
    public static List<string> Write(Comparison c, string folder)
    {
        var paths = new List<string>();
        string Path(string kind) => System.IO.Path.Combine(folder, $"compare-{c.Task.Name}-{kind}.png");
        paths.Add(Save(LearningCurves(c), Path("curves")));
        paths.Add(Save(Points(c, r => r.Parameters / 1000.0, "parameters (thousands)", $"{c.Task.MetricName} against model size"), Path("params")));
        paths.Add(Save(Points(c, r => r.TrainSeconds, "training time (s)", $"{c.Task.MetricName} against training time"), Path("time")));
        return paths;
    }

    private static string Save(Plot plot, string path)
    {
        AtomicFile.WriteVia(path, tmp => plot.SavePng(tmp, Width, Height));
        return path;
    }

    private static Plot LearningCurves(Comparison c)
    {
        var plot = NewPlot(c, $"{c.Task.Title}: held-out {c.Task.MetricName} per epoch", "epoch");
        for (int i = 0; i < c.Results.Count; i++)
        {
            var r = c.Results[i];
            double[] xs = r.History.Select(e => (double)e.Epoch).ToArray();
            double[] ys = r.History.Select(e => Scale(c, ModelResult.MetricOf(e, c.Task.Metric))).ToArray();
            var line = plot.Add.Scatter(xs, ys);
            Style(line, i, r);
            line.LineWidth = 2;
            line.LegendText = $"{r.Model.Name} ({r.Model.Family})";
        }
        AddBaselines(plot, c);
        if (c.Results.Max(r => r.History.Count) <= 12)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.ShowLegend(c.Task.HigherIsBetter ? Alignment.LowerRight : Alignment.UpperRight);
        return plot;
    }

    private static Plot Points(Comparison c, Func<ModelResult, double> x, string xLabel, string title)
    {
        var plot = NewPlot(c, $"{c.Task.Title}: {title}", xLabel);
        for (int i = 0; i < c.Results.Count; i++)
        {
            var r = c.Results[i];
            double px = x(r), py = Scale(c, r.Metric(c.Task.Metric));
            var point = plot.Add.Scatter(new[] { px }, new[] { py });
            Style(point, i, r);
            point.LineWidth = 0;
            point.MarkerSize = 12;
            point.LegendText = $"{r.Model.Name} ({r.Model.Family})";
            var label = plot.Add.Text(r.Model.Name, px, py);
            label.LabelFontSize = 13;
            label.LabelFontColor = Colors.Black;
            label.OffsetX = 8;
            label.OffsetY = -8;
        }
        AddBaselines(plot, c);
        // Room on the right for the point labels, and from zero so that sizes and times compare by eye.
        double max = c.Results.Max(x);
        plot.Axes.SetLimitsX(0, max <= 0 ? 1 : max * 1.25);
        plot.ShowLegend(c.Task.HigherIsBetter ? Alignment.LowerRight : Alignment.UpperRight);
        return plot;
    }

    private static Plot NewPlot(Comparison c, string title, string xLabel)
    {
        var plot = new Plot();
        plot.Title(title, size: 15);
        plot.XLabel(xLabel);
        plot.YLabel(c.Task.Metric switch
        {
            CompareMetric.Accuracy => $"held-out {c.Task.MetricName} (%)",
            CompareMetric.WordErrorRate => "held-out word error rate (%, lower is better)",
            _ => "held-out bits per character (lower is better)",
        });
        return plot;
    }

    private static void AddBaselines(Plot plot, Comparison c)
    {
        for (int i = 0; i < c.Baselines.Count; i++)
        {
            var b = c.Baselines[i];
            if (!double.IsFinite(b.Value)) continue;
            var line = plot.Add.HorizontalLine(Scale(c, b.Value));
            line.LinePattern = i == 0 ? LinePattern.Dashed : LinePattern.Dotted;
            line.LineWidth = 1.5f;
            line.Color = Colors.Gray;
            line.LegendText = $"baseline: {b.Name}";
        }
    }

    private static double Scale(Comparison c, double v) => c.Task.IsPercentage ? v * 100 : v;

    private static void Style(ScottPlot.Plottables.Scatter s, int index, ModelResult r)
    {
        s.Color = new ScottPlot.Palettes.Category10().GetColor(index);
        s.MarkerSize = 8;
        s.MarkerShape = r.Model.Family switch
        {
            "CNN" => MarkerShape.FilledCircle,
            "RNN" => MarkerShape.FilledSquare,
            _ => MarkerShape.FilledTriangleUp,
        };
    }
}
