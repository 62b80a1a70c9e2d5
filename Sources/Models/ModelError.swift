/// A model that cannot be built from its shape, refused before any kernel runs.
public struct ModelError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
