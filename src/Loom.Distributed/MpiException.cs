namespace Loom.Distributed;

/// <summary>An MPI call that returned an error: the call's name, the error code and MPI's own description.</summary>
public sealed class MpiException(string call, int errorCode, string description)
    : Exception($"{call} failed with MPI error {errorCode}: {description}")
{
    public string Call { get; } = call;
    public int ErrorCode { get; } = errorCode;
}
