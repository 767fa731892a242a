using Xunit;

namespace Loom.Tests.Core;

/// <summary>
/// Tests that change process-wide settings (<c>Threading.Threads</c>, <c>Rng.Default</c>) run in this
/// collection, which xUnit runs alone, so that no other test sees the changed setting or races on it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalStateCollection
{
    public const string Name = "Global state (threads, default RNG)";
}
