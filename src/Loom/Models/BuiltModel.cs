using Loom.Nn;
using Loom.Serialization;

namespace Loom.Models;

/// <summary>
/// A built-in model as its builder made it: the module, freshly initialised from the global <see cref="Rng"/>,
/// and its spec, derived from the module through the <see cref="LayerRegistry"/>, so <c>Spec.Build()</c> rebuilds
/// the same architecture (and a saved file holds it).
/// </summary>
public sealed record BuiltModel(ModelSpec Spec, Sequential Model);
