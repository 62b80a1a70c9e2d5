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
///
/// Buffers under ``smallFloatBuffer`` bytes get 64-byte alignment and ordinary pages instead: a
/// huge page would be mostly padding, and the kernel zeroes all 2 MB of it on first touch (that
/// zeroing was most of the time of each input of the checkpoint fuzzer, whose tensors are tiny).
public func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
  let bytes = max(count, 1) * MemoryLayout<Float>.stride
  let small = bytes < smallFloatBuffer
  let alignment = small ? 64 : hugePageBytes
  let rounded = (bytes + alignment - 1) / alignment * alignment
  var raw: UnsafeMutableRawPointer?
  guard posix_memalign(&raw, alignment, rounded) == 0, let raw else {
    fatalError("out of memory: \(rounded) bytes of Float buffers")
  }
  if !small { _ = madvise(raw, rounded, MADV_HUGEPAGE) }
  return raw.bindMemory(to: Float.self, capacity: max(count, 1))
}

/// Bytes below which `allocateFloats` does not ask for huge pages: 256 KB fits in L2 and spans
/// at most 64 ordinary pages, so the TLB has little to gain.
public let smallFloatBuffer = 256 << 10

/// Frees memory from `allocateFloats`.
public func deallocateFloats(_ pointer: UnsafeMutablePointer<Float>) { free(pointer) }
