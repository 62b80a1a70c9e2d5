#if canImport(Glibc)
  import Glibc
#endif

/// Bytes of one transparent huge page on x86-64 Linux.
private let hugePageBytes = 2 << 20

/// `count` uninitialized Floats aligned to 2 MB and advised to the kernel as transparent huge
/// pages (`MADV_HUGEPAGE`; Debian's default THP mode is `madvise`, so memory not advised gets
/// 4 KB pages). The model's buffers are swept whole every step, and with 4 KB pages those sweeps
/// and BLAS's packing of them miss the TLB: huge pages made `configs/bench.toml` 2-3% faster.
/// A refused advice (THP off) is harmless. Free with `deallocateFloats`.
public func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
  let bytes = max(count, 1) * MemoryLayout<Float>.stride
  let rounded = (bytes + hugePageBytes - 1) / hugePageBytes * hugePageBytes
  var raw: UnsafeMutableRawPointer?
  guard posix_memalign(&raw, hugePageBytes, rounded) == 0, let raw else {
    fatalError("out of memory: \(rounded) bytes of Float buffers")
  }
  _ = madvise(raw, rounded, MADV_HUGEPAGE)
  return raw.bindMemory(to: Float.self, capacity: max(count, 1))
}

/// Frees memory from `allocateFloats`.
public func deallocateFloats(_ pointer: UnsafeMutablePointer<Float>) { free(pointer) }
