namespace Loom.Serialization;

/// <summary>
/// The one table of how a PyTorch <c>state_dict</c> may differ from a Loom model's state dict, and what
/// <see cref="StateDictImport"/> does about each difference. Loom's tensor names are PyTorch's
/// (<c>weight_ih_l0</c>, <c>bias_hh_l0_reverse</c>, <c>running_mean</c>, <c>num_batches_tracked</c>), so a twin
/// written as an <c>nn.Sequential</c> of the same layers matches name for name; what differs is listed here:
/// <list type="table">
/// <item><term>wrapper prefix</term><description><c>module.</c> (nn.DataParallel, DistributedDataParallel) or
/// <c>_orig_mod.</c> (torch.compile) on every name: stripped.</description></item>
/// <item><term>module paths</term><description>a twin with named attributes (<c>conv1.weight</c>) where Loom's
/// Sequential counts (<c>0.weight</c>): a module of the file whose tensor names and shapes fit exactly one module
/// of the model, and no other, takes that module's place; two modules of one shape are refused as ambiguous.</description></item>
/// <item><term>num_batches_tracked</term><description>PyTorch: an I64 scalar, shape (); Loom: float32, shape (1):
/// the one integer buffer, the only tensor an integer dtype may fill. Absent (files from PyTorch before 0.4.1): the
/// model's value (0) is kept. It only matters to BatchNorm with momentum None, which Loom does not have.</description></item>
/// <item><term>dtype</term><description>F32 as is; F16, BF16, F64 converted to float32 (F64 rounded).</description></item>
/// <item><term>weight_hr_l*</term><description>an LSTM with proj_size: Loom's LSTM has no projection, refused.</description></item>
/// </list>
/// </summary>
internal static class StateDictNames
{
    /// <summary>Prefixes a wrapper puts before every name of the model it wraps.</summary>
    public static readonly string[] WrapperPrefixes = ["module.", "_orig_mod."];

    private const string BatchCount = "num_batches_tracked";

    /// <summary>Whether Loom's tensor <paramref name="name"/> is an integer buffer (stored as I64 by <see cref="ModelFile"/>).</summary>
    public static bool IsIntegerBuffer(string name) => Leaf(name) == BatchCount;

    /// <summary>Whether a file may lack Loom's tensor <paramref name="name"/>, the model then keeping its own value.</summary>
    public static bool IsOptional(string name) => Leaf(name) == BatchCount;

    /// <summary>Why a tensor of the file named <paramref name="name"/> has no place in any Loom layer, or null.</summary>
    public static string? Unsupported(string name) =>
        Leaf(name).StartsWith("weight_hr_l", StringComparison.Ordinal) ? "an LSTM projection (proj_size), which Loom's LSTM does not have" : null;

    /// <summary>Float dtypes converted to float32 on reading (safetensors names).</summary>
    public static bool IsFloat(string dtype) => dtype is "F32" or "F16" or "BF16" or "F64";

    /// <summary>The module path and the tensor's own name: <c>2.weight_ih_l0</c> → (<c>2</c>, <c>weight_ih_l0</c>).</summary>
    public static (string Module, string Leaf) Split(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? ("", name) : (name[..dot], name[(dot + 1)..]);
    }

    /// <summary>Whether two shapes fit: equal, or one element each for an integer buffer (() against (1)).</summary>
    public static bool ShapesFit(string name, int[] expected, int[] found) =>
        ShapeUtil.SameShape(expected, found) || (IsIntegerBuffer(name) && ShapeUtil.SizeOf(expected) == 1 && ShapeUtil.SizeOf(found) == 1);

    private static string Leaf(string name) => Split(name).Leaf;
}
