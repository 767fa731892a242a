namespace Loom.Kernels;

/// <summary>The naive twin of <see cref="Gemm"/>: three loops, used by tests and for tiny products.</summary>
public static class GemmReference
{
    /// <summary>C (m×n) += op(A)·op(B), same conventions as <see cref="Gemm.Multiply"/>.</summary>
    public static void MultiplyAccumulate(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            for (int p = 0; p < k; p++)
            {
                float av = transA ? a[p * lda + i] : a[i * lda + p];
                if (av == 0f) continue;
                if (!transB)
                {
                    var brow = b.Slice(p * ldb, n);
                    for (int j = 0; j < n; j++) row[j] += av * brow[j];
                }
                else for (int j = 0; j < n; j++) row[j] += av * b[j * ldb + p];
            }
        }
    }
}
