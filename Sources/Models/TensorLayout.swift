import Kernels
import Support

/// Where each named tensor lives inside one flat Float allocation.
///
/// Parameters, gradients, AdamW moments and BatchNorm running statistics each live in a single
/// allocation (a `FlatTensors`), so the optimizer and the gradient all-reduce touch a handful of
/// large contiguous ranges. A layout names the ranges; names follow the exported safetensors
/// file (DESIGN.md section 3), e.g. `h.0.attn.qkv.weight`.
public struct TensorLayout: Sendable, Equatable {
  /// One tensor: its name, shape and position in the flat buffer.
  public struct Entry: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public let count: Int
    /// Vectors (norm weights, biases, running statistics) take no weight decay.
    public var isVector: Bool { shape.count == 1 }
  }

  public private(set) var entries: [Entry] = []
  public private(set) var totalCount = 0
  private var index: [String: Int] = [:]

  public init() {}

  /// Appends a tensor and returns its offset. Names must be unique.
  @discardableResult
  public mutating func add(_ name: String, _ shape: [Int]) -> Int {
    precondition(index[name] == nil, "duplicate tensor name \(name)")
    let entry = Entry(name: name, shape: shape, offset: totalCount, count: shape.reduce(1, *))
    index[name] = entries.count
    entries.append(entry)
    totalCount += entry.count
    return entry.offset
  }

  /// The entry called `name`, or nil.
  public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }
}

/// A zero-initialized Float allocation laid out by a `TensorLayout`.
///
/// Owns its memory; views are raw pointers into it, valid while the object lives.
public final class FlatTensors: @unchecked Sendable {
  public let layout: TensorLayout
  public let pointer: UnsafeMutablePointer<Float>
  public var count: Int { layout.totalCount }

  public init(layout: TensorLayout) {
    self.layout = layout
    pointer = allocateFloats(max(layout.totalCount, 1))
    pointer.initialize(repeating: 0, count: max(layout.totalCount, 1))
  }

  deinit { deallocateFloats(pointer) }

  /// Pointer to the tensor at `offset` (an offset from the layout).
  @inline(__always)
  public subscript(offset: Int) -> UnsafeMutablePointer<Float> { pointer + offset }

  /// Pointer to the tensor called `name`; the name must exist.
  public func view(_ name: String) -> UnsafeMutablePointer<Float> {
    guard let entry = layout.entry(name) else { preconditionFailure("no tensor named \(name)") }
    return pointer + entry.offset
  }

  public func zero() { pointer.update(repeating: 0, count: count) }

  /// Copies all values from `other`, which must have the same layout.
  public func copy(from other: FlatTensors) {
    precondition(other.layout == layout, "copy between different layouts")
    pointer.update(from: other.pointer, count: count)
  }

  /// Moves the first value up by one ulp: the smallest change float arithmetic can make, as a
  /// different summation order or a flipped bit would (`train.nudge_step`, fault injection).
  public func nudgeFirstByOneULP() { pointer[0] = pointer[0].nextUp }

  /// Moves every value by one ulp, up or down by the bits of a fixed generator: the size of
  /// difference a different summation order leaves in one step (`train.nudge_step`).
  public func nudgeEveryValueByOneULP() {
    var rng = RandomNumbers(seed: 0x6E75_6467_65)
    for i in 0..<count {
      pointer[i] = rng.next() & 1 == 0 ? pointer[i].nextUp : pointer[i].nextDown
    }
  }

  /// Buffer over all values.
  public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
}
