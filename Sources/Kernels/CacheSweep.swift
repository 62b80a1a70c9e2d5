import Support

/// A buffer twice the size of the last-level cache, written one float per 64-byte line: after
/// a sweep almost nothing that was in L1, L2 or L3 before it is still there, so the next
/// product reads its operands from memory, as most of a training step's products do (a step of
/// `configs/bench.toml` writes ~140 MB of activations and streams 77 MB of parameters,
/// gradients and AdamW moments through a 32 MB L3).
///
/// The write (`x += 1`, not a read) leaves the cache full of dirty lines, as a step's activation
/// writes do: the next product's misses pay their write-backs too. `launch/sgemm_cold_probe.c`
/// sweeps the same way. The sweep runs on the calling thread: with several OpenBLAS threads the
/// other cores' private L2 keep what they held (1 MB each on this VM).
public final class CacheSweep {
  /// Floats in the buffer.
  public let count: Int
  /// Sweeps run so far.
  public private(set) var runs = 0
  private let buffer: UnsafeMutablePointer<Float>

  /// 2 × ``lastLevelCacheBytes()``, at most 1 GB; where sysfs lists no cache, a 32 MB one is
  /// assumed (a 64 MB sweep).
  public static var defaultBytes: Int { min(2 * (lastLevelCacheBytes() ?? 32 << 20), 1 << 30) }

  public init(bytes: Int = CacheSweep.defaultBytes) {
    count = max(bytes / MemoryLayout<Float>.stride, 16)
    buffer = allocateFloats(count)
    buffer.initialize(repeating: 0, count: count)
  }

  deinit { deallocateFloats(buffer) }

  /// Bytes the sweep writes through.
  public var bytes: Int { count * MemoryLayout<Float>.stride }

  /// Touches every 64-byte line of the buffer once.
  public func run() {
    for i in stride(from: 0, to: count, by: 16) { buffer[i] += 1 }
    runs += 1
  }
}
