/// Why a checkpoint could not be written, read or loaded; `description` is one line starting
/// with `checkpoint: ` that names the file and the problem.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
  public let description: String

  /// An error whose message is `checkpoint: ` followed by `message` (line breaks escaped).
  public init(_ message: String) {
    description = "checkpoint: " + displayed(message)
  }
}
