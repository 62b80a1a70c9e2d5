/// A problem with the run itself (directory, resume), reported as one line.
public struct RunError: Error, CustomStringConvertible {
  public let description: String
  public init(_ message: String) { description = "run: " + message }
}
