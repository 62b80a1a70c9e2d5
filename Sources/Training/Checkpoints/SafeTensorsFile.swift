/// Why a safetensors file could not be written or read; `description` is one line starting
/// with `safetensors: ` that names the file and the problem.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
  public let description: String

  /// An error whose message is `safetensors: ` followed by `message` (line breaks escaped).
  public init(_ message: String) {
    description = "safetensors: " + displayed(message)
  }
}

/// A safetensors file read into memory (``SafeTensors/read(path:)``).
public struct SafeTensorsFile: Equatable, Sendable {
  /// One tensor of the header.
  public struct Tensor: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    /// `[begin, end)` in bytes, within the data section.
    public let dataOffsets: Range<Int>
  }

  /// The tensors in the order of their data: the writer's order, except that empty tensors
  /// sharing an offset are sorted by name.
  public let tensors: [Tensor]
  /// The header's `__metadata__` (empty when absent).
  public let metadata: [String: String]
  /// The data section as Float32 values: tensor `t` is `data[t.dataOffsets / 4]`.
  public let data: [Float]
  /// N, the header's length in bytes.
  public let headerLength: Int

  /// The tensor called `name`, or nil.
  public func tensor(_ name: String) -> Tensor? { tensors.first { $0.name == name } }

  /// The values of the tensor called `name`, or nil.
  public func values(_ name: String) -> ArraySlice<Float>? {
    tensor(name).map { data[$0.dataOffsets.lowerBound / 4..<$0.dataOffsets.upperBound / 4] }
  }
}
