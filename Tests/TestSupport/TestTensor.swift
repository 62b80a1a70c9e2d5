/// A heap buffer of Floats for tests, handed to kernels as a raw pointer.
public final class TestTensor {
  public let count: Int
  public let pointer: UnsafeMutablePointer<Float>

  public init(count: Int, value: Float = 0) {
    self.count = count
    pointer = .allocate(capacity: max(count, 1))
    pointer.initialize(repeating: value, count: max(count, 1))
  }

  /// Uniform entries in [low, high), reproducible from `seed`.
  public convenience init(count: Int, uniform low: Float, _ high: Float, seed: UInt64) {
    self.init(count: count)
    var rng = SplitMix64(seed: seed)
    for i in 0..<count { pointer[i] = low + (high - low) * rng.nextUnitFloat() }
  }

  public convenience init(_ values: [Float]) {
    self.init(count: values.count)
    for (i, v) in values.enumerated() { pointer[i] = v }
  }

  deinit { pointer.deallocate() }

  public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
  public func zero() { pointer.update(repeating: 0, count: count) }
  public subscript(i: Int) -> Float {
    get { pointer[i] }
    set { pointer[i] = newValue }
  }
}

/// SplitMix64, a small seeded generator for test inputs.
public struct SplitMix64 {
  var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  public mutating func nextUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
