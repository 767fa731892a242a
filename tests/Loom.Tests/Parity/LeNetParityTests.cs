using System.Text.Json.Nodes;
using Loom.Models;
using Loom.Nn;
using Xunit;

namespace Loom.Tests.Parity;

/// <summary>
/// The built-in <c>lenet</c> architecture, slimmed (4 and 8 channels, 16 hidden units) so that its
/// fixture stays small, built from the zoo's spec and loaded from a PyTorch state dict: logits,
/// cross-entropy loss and every parameter gradient for a batch of two 28×28 inputs.
/// </summary>
public class LeNetParityTests
{
    private const string Case = "slim";

    [Fact]
    public void ForwardAndBackwardMatchPyTorch()
    {
        var f = ParityFixture.Load("lenet");
        var model = SlimLeNet(f.Int(Case, "conv1_out"), f.Int(Case, "conv2_out"), f.Int(Case, "hidden"));
        var state = model.StateDict().ToDictionary(e => e.Name, e => f.Get(Case, "state." + e.Name));
        model.LoadStateDict(state);
        model.Train();

        var logits = model.Forward(f.Get(Case, "x"));
        var loss = Functional.CrossEntropy(logits, f.Get(Case, "target"));
        loss.Backward();

        ParityAssert.Close(f.Get(Case, "logits"), logits, Tolerance.Model, "lenet logits");
        ParityAssert.Close(f.Get(Case, "loss"), loss, Tolerance.Model, "lenet loss");
        var names = model.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"], names);
        foreach (var (name, p) in model.NamedParameters())
            ParityAssert.Close(f.Get(Case, "grad." + name), p.Grad, Tolerance.Model, $"lenet grad {name}");
    }

    [Fact]
    public void FullSizeLeNetHasTheSameStateDictNamesAsTheFixture()
    {
        var f = ParityFixture.Load("lenet");
        var full = ModelZoo.LeNet().Model;
        foreach (var (name, value) in full.StateDict())
            Assert.True(f.Has(Case, "state." + name), $"fixture has no state entry '{name}' of the zoo's lenet");
        Assert.Equal(8, full.StateDict().Count);
        Assert.Equal(new[] { 128, 3136 }, full.StateDict().Single(e => e.Name == "7.weight").Value.Shape);
    }

    /// <summary>The zoo's lenet spec with its widths replaced, so the structure is the zoo's own.</summary>
    private static Sequential SlimLeNet(int c1, int c2, int hidden)
    {
        var spec = ModelZoo.LeNet().Spec;
        var layers = spec.Layers.Select(l => (JsonObject)l.DeepClone()).ToList();
        Assert.Equal("Conv2d", (string?)layers[0]["type"]);
        Assert.Equal("Linear", (string?)layers[9]["type"]);
        layers[0]["out_channels"] = c1;
        layers[3]["in_channels"] = c1;
        layers[3]["out_channels"] = c2;
        layers[7]["in_features"] = c2 * 7 * 7;
        layers[7]["out_features"] = hidden;
        layers[9]["in_features"] = hidden;
        return (spec with { Name = "lenet-slim", Layers = layers }).Build();
    }
}
