/// FNV-1a, 64-bit: `h = (h ^ byte) · 0x100000001b3` from `h = 0xcbf29ce484222325`.
///
/// Checkpoint checksums, the document split, config and parameter fingerprints across ranks.
/// Chosen over CRC-64 for having nothing to tabulate and a definition that fits in one line, so
/// another tool can verify a checkpoint. It detects every single-byte change.
/// - Complexity: O(n), about one byte per nanosecond: small beside writing the file.
public struct FNV1a64: Sendable {
  public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
  public static let prime: UInt64 = 0x100_0000_01b3
  public private(set) var value = offsetBasis

  public init() {}

  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    var h = value
    for byte in bytes {
      h = (h ^ UInt64(byte)) &* Self.prime
    }
    value = h
  }
}

extension FNV1a64 {
  /// FNV-1a 64 of `bytes`.
  public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var h = offsetBasis
    for byte in bytes { h = (h ^ UInt64(byte)) &* prime }
    return h
  }
}
