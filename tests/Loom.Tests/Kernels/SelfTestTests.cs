using Loom.Kernels;
using Loom.Tests.Core;
using Xunit;

namespace Loom.Tests.Kernels;

/// <summary><c>loom doctor</c>'s check, run as a test: every family passes on the ISA path of this run (.ci/run repeats it on every path).</summary>
[Collection(GlobalStateCollection.Name)]
public class SelfTestTests
{
    [Fact]
    public void EveryFamilyPassesAndNamesItsPath()
    {
        var results = SelfTest.Run(seed: 3);
        Assert.Equal(SelfTest.Families, results.Select(r => r.Family));
        foreach (var r in results)
        {
            Assert.True(r.Passed, $"{r.Family} ({r.Path}): {r.Failure}");
            Assert.True(r.Cases > 0, $"{r.Family} ran no cases");
            Assert.False(string.IsNullOrWhiteSpace(r.Path));
        }
    }

    [Fact]
    public void ReportsTheGemmPathInUse() => Assert.Contains($"{(Gemm.Path == Gemm.Isa.Avx512 ? "AVX-512" : Gemm.Path == Gemm.Isa.Avx2Fma ? "AVX2+FMA" : Gemm.Path == Gemm.Isa.Vector128 ? "Vector128" : "scalar")}", SelfTest.PathOf("gemm"));
}
