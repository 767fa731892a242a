namespace Loom.Training;

/// <summary>Hooks into <see cref="Trainer.Fit"/> at the end of each epoch.</summary>
public interface ICallback
{
    /// <summary>Called after each epoch; set <see cref="Trainer.StopRequested"/> to end training early.</summary>
    void OnEpochEnd(Trainer trainer, EpochResult result);
}

/// <summary>Stops training when a monitored metric has not improved by minDelta for <c>patience</c> epochs.</summary>
public sealed class EarlyStopping(string monitor = "val_loss", int patience = 3, double minDelta = 0) : ICallback
{
    private double _best = double.NaN;
    private int _wait;

    public string Monitor { get; } = monitor;
    public int StoppedEpoch { get; private set; } = -1;

    private bool Maximise => Monitor.EndsWith("accuracy", StringComparison.Ordinal);

    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        double value = result[Monitor];
        if (double.IsNaN(value)) return;
        bool improved = double.IsNaN(_best) || (Maximise ? value > _best + minDelta : value < _best - minDelta);
        if (improved) { _best = value; _wait = 0; return; }
        if (++_wait >= patience)
        {
            StoppedEpoch = result.Epoch;
            trainer.StopRequested = true;
        }
    }
}

/// <summary>
/// Saves a checkpoint after each epoch (or only when the monitored metric improves) through a
/// caller-supplied writer, so the training loop stays free of file formats.
/// </summary>
public sealed class ModelCheckpoint(Action<EpochResult> save, string? monitor = null) : ICallback
{
    private double _best = double.NaN;

    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        if (monitor is null) { save(result); return; }
        double value = result[monitor];
        bool maximise = monitor.EndsWith("accuracy", StringComparison.Ordinal);
        if (double.IsNaN(_best) || (maximise ? value > _best : value < _best))
        {
            _best = value;
            save(result);
        }
    }
}

/// <summary>
/// Remembers the weights (and buffers) of the epoch with the best monitored metric and puts them back with
/// <see cref="Restore"/>, as Keras' <c>restore_best_weights</c>: the model that is kept is chosen on
/// validation data, never on the test set.
/// </summary>
public sealed class RestoreBestWeights(string monitor = "val_loss") : ICallback
{
    private double _best = double.NaN;
    private Dictionary<string, Tensor>? _state;

    /// <summary>The epoch whose weights are kept (0 before the first epoch).</summary>
    public int BestEpoch { get; private set; }

    public void OnEpochEnd(Trainer trainer, EpochResult result)
    {
        double value = result[monitor];
        if (double.IsNaN(value)) return;
        bool maximise = monitor.EndsWith("accuracy", StringComparison.Ordinal);
        if (!double.IsNaN(_best) && !(maximise ? value > _best : value < _best)) return;
        _best = value;
        BestEpoch = result.Epoch;
        _state = trainer.Model.StateDict().ToDictionary(p => p.Name, p => p.Value.Clone());
    }

    /// <summary>Loads the best epoch's weights into <paramref name="model"/> (nothing when no epoch was seen).</summary>
    public void Restore(Nn.Module model)
    {
        if (_state is not null) model.LoadStateDict(_state);
    }
}
