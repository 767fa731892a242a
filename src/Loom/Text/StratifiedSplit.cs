namespace Loom.Text;

/// <summary>A seeded train/test split that keeps each class's share the same in both parts.</summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Splits <paramref name="items"/> so that each class c (in ascending label order) sends
    /// round(n_c · <paramref name="testFraction"/>) (halves away from zero) of its n_c items, chosen by one
    /// <see cref="Rng"/> seeded with <paramref name="seed"/> (a Fisher–Yates permutation per class), to the
    /// test part and the rest to training. Both parts keep the input order, so the result depends only on
    /// the items, their order and the seed.
    /// </summary>
    public static (List<T> Train, List<T> Test) Split<T>(IReadOnlyList<T> items, Func<T, int> labelOf, double testFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(labelOf);
        if (!(testFraction >= 0 && testFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be in [0, 1].");
        var byClass = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < items.Count; i++)
        {
            int label = labelOf(items[i]);
            if (!byClass.TryGetValue(label, out var members)) byClass[label] = members = [];
            members.Add(i);
        }
        var rng = new Rng(seed);
        var inTest = new bool[items.Count];
        foreach (var members in byClass.Values)
        {
            int testCount = (int)Math.Round(members.Count * testFraction, MidpointRounding.AwayFromZero);
            var order = rng.Permutation(members.Count);
            for (int j = 0; j < testCount; j++) inTest[members[order[j]]] = true;
        }
        var train = new List<T>();
        var test = new List<T>();
        for (int i = 0; i < items.Count; i++) (inTest[i] ? test : train).Add(items[i]);
        return (train, test);
    }
}
