/// Data that cannot be used for training, with a one-line message naming the path and the
/// problem (missing, unreadable, empty, binary, shorter than one context window).
public struct DataError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = "data: " + description }
}
