#if canImport(Glibc)
  import Glibc
#endif

/// xoshiro256**, a fast seeded generator whose whole state is four words, so a checkpoint can
/// store it and a resumed run continues the same sequence.
///
/// ### References
/// D. Blackman, S. Vigna, "Scrambled Linear Pseudorandom Number Generators", ACM TOMS 2021.
public struct RandomNumbers: Sendable, Equatable {
  public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

  /// Seeds the four state words from `seed` through SplitMix64, as the authors recommend.
  public init(seed: UInt64) {
    var s = seed
    func splitMix() -> UInt64 {
      s &+= 0x9E37_79B9_7F4A_7C15
      var z = s
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    state = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  /// Restores a generator from a saved `state`.
  public init(state: (UInt64, UInt64, UInt64, UInt64)) { self.state = state }

  public static func == (a: RandomNumbers, b: RandomNumbers) -> Bool { a.state == b.state }

  public mutating func next() -> UInt64 {
    let result = rotate(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotate(state.3, 45)
    return result
  }

  /// Uniform in [0, 1) with 53 random bits.
  public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// Uniform in 0..<n, without modulo bias (Lemire's multiply-shift with rejection).
  public mutating func nextInt(below n: Int) -> Int {
    precondition(n > 0, "nextInt(below:) needs a positive bound")
    let bound = UInt64(n)
    while true {
      let product = next().multipliedFullWidth(by: bound)
      if product.low >= (0 &- bound) % bound { return Int(product.high) }
    }
  }

  /// Standard normal by the Box–Muller transform (one of the pair; simple over fast, since it
  /// runs only at initialization).
  public mutating func nextNormal() -> Double {
    let u1 = max(nextUniform(), 0x1.0p-53)
    let u2 = nextUniform()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }

  private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
