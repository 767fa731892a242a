using Loom.Models;
using Loom.Nn;
using Loom.Serialization;
using Loom.Tests.Core;
using Loom.Text;
using Xunit;

namespace Loom.Tests.Serialization;

/// <summary>
/// Every built-in model's spec, derived from the typed module its builder makes, rebuilds that module: the same
/// layers (<c>ToString()</c>), state-dict names and shapes, through the spec object and through its JSON; and
/// with the same seed the spec path draws exactly the builder's initial weights (the spec path is how built-in
/// models were built before the typed builders, so same seed, same weights as then).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public class ZooSpecTests
{
    private static readonly TextModelInputs Text = new(TokenizerKind.Char, ["<pad>", "<unk>", .. Enumerable.Range(0, 18).Select(i => ((char)('a' + i)).ToString())], ["x", "y", "z"], 16);

    public static TheoryData<string> Names() => new(ModelZoo.Names);

    private static TextModelInputs? InputsFor(string name) => ModelZoo.Find(name).ReadsText ? Text : null;

    [Theory, MemberData(nameof(Names))]
    public void TheSpecRebuildsTheBuiltModule(string name)
    {
        var (spec, model) = ModelZoo.Build(name, InputsFor(name));
        Assert.Equal(name, spec.Name);
        Assert.Equal(ModelZoo.TaskOf(name), spec.Task);
        foreach (var rebuilt in new[] { spec.Build(), ModelSpec.Parse(spec.ToJson(), name).Build() })
        {
            Assert.Equal(model.ToString(), rebuilt.ToString());
            Assert.Equal(Shapes(model), Shapes(rebuilt));
        }
    }

    [Theory, MemberData(nameof(Names))]
    public void TheSameSeedGivesTheSameWeightsThroughTheSpec(string name)
    {
        try
        {
            Rng.ManualSeed(1);
            var (spec, model) = ModelZoo.Build(name, InputsFor(name));
            var afterBuilder = Rng.Default.GetState();
            Rng.ManualSeed(1);
            var viaSpec = spec.Build();
            Assert.Equal(afterBuilder, Rng.Default.GetState());
            var a = model.StateDict();
            var b = viaSpec.StateDict();
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++) Assert.True(a[i].Value.Data.AsSpan().SequenceEqual(b[i].Value.Data), $"{name}: {a[i].Name} differs");
        }
        finally { Rng.ManualSeed(0); }
    }

    [Fact]
    public void NameListsComeFromTheEntries()
    {
        Assert.Equal(ModelZoo.Models.Select(m => m.Name), ModelZoo.Names);
        Assert.Equal(ModelZoo.Models.Where(m => m.ReadsText).Select(m => m.Name), ModelZoo.TextNames);
        Assert.DoesNotContain("lenet", ModelZoo.TextNames);
        Assert.Contains("Model 'char-lstm' reads text", Assert.Throws<ArgumentException>(() => ModelZoo.Build("char-lstm")).Message);
    }

    private static List<(string, string)> Shapes(Module m) => [.. m.StateDict().Select(e => (e.Name, ShapeUtil.Format(e.Value.Shape)))];
}
