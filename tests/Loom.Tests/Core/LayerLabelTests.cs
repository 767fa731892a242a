using Loom.Nn;
using Xunit;

namespace Loom.Tests.Core;

/// <summary>
/// A layer's label (its arguments and its name in the model, in errors and in the graph) is kept between calls where
/// its description cannot change, and follows the layer when it gets another name.
/// </summary>
public class LayerLabelTests
{
    [Fact]
    public void AKeptLabelNamesTheLayerAndFollowsARename()
    {
        var conv = new Conv2d(3, 4, 3);
        var wrong = Tensor.Zeros([1, 2, 8, 8]);
        const string described = "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1))";
        Assert.StartsWith(described + ":", Assert.Throws<ArgumentException>(() => conv.Call(wrong)).Message);

        var first = new Sequential(conv);
        for (int call = 0; call < 2; call++) // the second call reads the kept label
            Assert.Contains(described + " (layer '0')", Assert.Throws<ArgumentException>(() => first.Call(wrong)).Message);

        _ = new Sequential(new Relu(), conv); // registered again: now layer '1'
        var message = Assert.Throws<ArgumentException>(() => conv.Call(wrong)).Message;
        Assert.Contains(described + " (layer '1')", message);
        Assert.DoesNotContain("layer '0'", message);
    }

    [Fact]
    public void AFusedReluIsRecordedUnderTheLayersLabel()
    {
        var model = new Sequential(new Linear(3, 2), new Relu());
        var x = Tensor.Ones([1, 3]);
        x.RequiresGrad = true;
        var y = model.Call(x);
        Assert.Equal("Linear(in_features=3, out_features=2, bias=True) (layer '0') + ReLU", y.GradFn?.Name);
    }
}
