using Loom.Autograd;
using Loom.Models;
using Loom.Optim;

namespace Loom.Cli.Bench;

/// <summary>
/// LeNet (<see cref="ModelZoo.LeNet"/>: Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-
/// Linear(3136,128)-ReLU-Linear(128,10)) on synthetic (N, 1, 28, 28) images with random labels.
/// </summary>
internal static class LeNetBench
{
    private const int TrainBatch = 64, InferBatch = 256;

    /// <summary>
    /// Floating-point operations of the GEMMs in one training image: forward 8,482,304 (conv1 32·784·9, conv2
    /// 64·196·288, fc1 3136·128, fc2 128·10 multiply–adds, two FLOPs each), the weight gradients as many again, and
    /// the input gradients as many less conv1's (the image needs none). Pooling, activations and Adam are left out.
    /// </summary>
    public const double TrainFlopsPerImage = 3 * 8_482_304.0 - 451_584.0;

    /// <summary>Images per second of full training steps: zero grad, forward, cross-entropy, backward, Adam step.</summary>
    public static void Train(BenchRun run)
    {
        Rng.ManualSeed(Workloads.Seed);
        var model = ModelZoo.LeNet().Model;
        model.Train();
        var optimizer = new Adam(model.Parameters(), lr: 1e-3f);
        var rng = new Rng(Workloads.Seed + 1);
        var x = Tensor.Normal(0f, 1f, [TrainBatch, 1, 28, 28], rng);
        var y = Workloads.RandomIndices(10, rng, TrainBatch);

        var buffers = new BufferPool(); // as the Trainer does: activations and gradients recycled from step to step
        void Step()
        {
            using var scope = buffers.Scope();
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Call(x), y);
            loss.Backward();
            optimizer.Step();
        }

        run.Add("lenet_train_images_per_s", "lenet training, batch 64", Measure.Throughput(Step, TrainBatch, run.Plan), "images/s");
        var (threadBytes, totalBytes, gen0) = Measure.Allocations(Step, run.Plan.AllocationSteps);
        run.Add("lenet_train_alloc_bytes_per_step", "lenet training: managed bytes allocated per step (calling thread)", threadBytes, "B");
        run.Add("lenet_train_alloc_bytes_per_step_all_threads", "lenet training: managed bytes allocated per step (all threads)", totalBytes, "B");
        run.Add("lenet_train_gen0_gcs_per_100_steps", "lenet training: gen-0 collections per 100 steps", gen0, "GCs");
        run.Add("lenet_train_peak_working_set_mib", "lenet training: peak working set of the process", Measure.PeakWorkingSetMiB(), "MiB");
    }

    /// <summary>Images per second at batch 256, and the median latency of one image, in eval mode without gradients.</summary>
    public static void Inference(BenchRun run)
    {
        Rng.ManualSeed(Workloads.Seed);
        var model = ModelZoo.LeNet().Model;
        model.Eval();
        var rng = new Rng(Workloads.Seed + 1);
        var batch = Tensor.Normal(0f, 1f, [InferBatch, 1, 28, 28], rng);
        var single = Tensor.Normal(0f, 1f, [1, 1, 28, 28], rng);
        // A serving loop: no gradients, and each call's buffers recycled for the next (as Evaluator does).
        var buffers = new BufferPool();
        void Infer(Tensor x) { using var scope = buffers.Scope(); model.Call(x); }
        using (GradMode.NoGrad())
        {
            run.Add("lenet_infer_b256_images_per_s", "lenet inference, batch 256", Measure.Throughput(() => Infer(batch), InferBatch, run.Plan), "images/s");
            run.Add("lenet_latency_b1_us", "lenet latency, batch 1 (median)", Measure.LatencyMicroseconds(() => Infer(single), run.Plan), "µs");
        }
    }
}
