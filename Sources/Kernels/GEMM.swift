import CBLAS
import Support

/// Row-major single-precision matrix product, the one door to `cblas_sgemm` of the model's
/// kernels:
///
/// ```
/// C = alpha · op(A) · op(B) + beta · C       op(X) = Xᵀ if transposed, else X
/// ```
/// - Parameters:
///   - a: op(A) is (M, K); A is stored (M, K) with row stride `lda`, or (K, M) if transposed.
///   - b: op(B) is (K, N); B is stored (K, N) with row stride `ldb`, or (N, K) if transposed.
///   - c: (M, N) with row stride `ldc`.
/// With a ``stepProfiler`` installed, the call is charged to ``StepPhase/gemm`` and its shape
/// and seconds are recorded; without one the cost is a nil check.
/// - Complexity: 2·M·N·K FLOPs.
public func sgemm(
  transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
  c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard let profiler = stepProfiler else {
    blasSgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    return
  }
  let outer = profiler.enter(.gemm)
  blasSgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
  let (seconds, cpuSeconds) = profiler.leave(to: outer)
  let shape = GEMMShape(
    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, lda: lda, ldb: ldb,
    ldc: ldc, accumulates: beta != 0)
  let call = GEMMCall(shape: shape, alpha: alpha, beta: beta, a: a, b: b, c: c)
  profiler.record(call, seconds: seconds, cpuSeconds: cpuSeconds)
}

@inline(__always)
func blasSgemm(
  _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
  _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int
) {
  cblas_sgemm(
    CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// What decides an sgemm's speed: sizes, transposes, row strides, and whether it adds into C
/// (beta ≠ 0; with beta = 0 OpenBLAS first clears C).
public struct GEMMShape: Hashable, Codable, Sendable, CustomStringConvertible {
  public var transposeA: Bool
  public var transposeB: Bool
  public var m: Int
  public var n: Int
  public var k: Int
  public var lda: Int
  public var ldb: Int
  public var ldc: Int
  public var accumulates: Bool

  public init(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int,
    accumulates: Bool
  ) {
    (self.transposeA, self.transposeB, self.accumulates) = (transposeA, transposeB, accumulates)
    (self.m, self.n, self.k, self.lda, self.ldb, self.ldc) = (m, n, k, lda, ldb, ldc)
  }

  /// A packed product (every row stride the natural one).
  public init(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, accumulates: Bool) {
    self.init(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
      lda: transposeA ? m : k, ldb: transposeB ? k : n, ldc: n, accumulates: accumulates)
  }

  /// 2·M·N·K.
  public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

  /// Every row stride the natural one.
  public var isPacked: Bool {
    lda == (transposeA ? m : k) && ldb == (transposeB ? k : n) && ldc == n
  }

  /// `M×N×K op(A)·op(B) β`, e.g. `1024×768×256 A·Bᵀ β=1`, with the strides when not packed.
  public var description: String {
    let product = (transposeA ? "Aᵀ" : "A") + "·" + (transposeB ? "Bᵀ" : "B")
    let strides = isPacked ? "" : " ld \(lda),\(ldb),\(ldc)"
    return "\(m)×\(n)×\(k) \(product) β=\(accumulates ? 1 : 0)\(strides)"
  }

  /// Best wall and thread CPU seconds of one call of this shape alone: `repeats` timed calls
  /// after one warm-up, on fresh buffers from `allocateFloats` (huge pages above 256 KB, as the
  /// model's tensors), on the calling thread with the current OpenBLAS thread count.
  /// `meanCPUSeconds` is the mean thread CPU time of the same repeats, the statistic a step's
  /// mean compares with on equal terms.
  ///
  /// Without `sweep` the operands stay warm in the cache between repeats: the most favourable
  /// time. With it, the sweep runs (untimed) before every call, so each call reads A, B and C
  /// from memory, as most products of a training step do.
  public func secondsAlone(repeats: Int, sweep: CacheSweep? = nil) -> (
    seconds: Double, cpuSeconds: Double, meanCPUSeconds: Double
  ) {
    let countA = (transposeA ? k : m) * lda
    let countB = (transposeB ? n : k) * ldb
    let countC = m * ldc
    let (a, b, c) = (allocateFloats(countA), allocateFloats(countB), allocateFloats(countC))
    defer { for buffer in [a, b, c] { deallocateFloats(buffer) } }
    a.initialize(repeating: 0.01, count: countA)
    b.initialize(repeating: 0.02, count: countB)
    c.initialize(repeating: 0, count: countC)
    var (best, bestCPU, totalCPU) = (Double.infinity, Double.infinity, 0.0)
    for i in 0...max(repeats, 1) {
      sweep?.run()
      let (start, cpuStart) = (monotonicSeconds(), threadCPUSeconds())
      blasSgemm(
        transposeA, transposeB, m, n, k, 1, a, lda, b, ldb, accumulates ? 1 : 0, c, ldc)
      let (seconds, cpu) = (monotonicSeconds() - start, threadCPUSeconds() - cpuStart)
      if i > 0 {
        (best, bestCPU, totalCPU) = (min(best, seconds), min(bestCPU, cpu), totalCPU + cpu)
      }
    }
    return (best, bestCPU, totalCPU / Double(max(repeats, 1)))
  }
}

/// Single-threaded sgemm rate in GFLOP/s on a square `size`³ product (A·B, beta = 0): the
/// reference the bench reports beside the model's own shapes. Best of `repeats` timed runs
/// after one warm-up, as ``GEMMShape/secondsAlone(repeats:)`` times every shape.
public func measureSgemmRate(size: Int = 1024, repeats: Int = 5) -> Double {
  let square = GEMMShape(
    transposeA: false, transposeB: false, m: size, n: size, k: size, accumulates: false)
  return square.flops / square.secondsAlone(repeats: repeats).seconds / 1e9
}
