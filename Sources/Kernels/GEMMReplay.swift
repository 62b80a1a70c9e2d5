import Support

/// One sgemm call as a step made it: its shape, coefficients and operands, so that the same
/// product can be run again on the same memory.
public struct GEMMCall {
  public var shape: GEMMShape
  public var alpha: Float
  public var beta: Float
  public var a: UnsafePointer<Float>
  public var b: UnsafePointer<Float>
  public var c: UnsafeMutablePointer<Float>

  public init(
    shape: GEMMShape, alpha: Float, beta: Float, a: UnsafePointer<Float>,
    b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
  ) {
    (self.shape, self.alpha, self.beta, self.a, self.b, self.c) = (shape, alpha, beta, a, b, c)
  }

  /// Runs the product again: `c = alpha · op(a) · op(b) + beta · c`.
  func run() {
    let s = shape
    blasSgemm(
      s.transposeA, s.transposeB, s.m, s.n, s.k, alpha, a, s.lda, b, s.ldb, beta, c, s.ldc)
  }
}

/// A step's sgemm calls run again back to back, in the step's order, on the step's own
/// buffers, with nothing between them: what the GEMMs cost when they follow each other as in
/// the step (operands left in the cache by the previous product, or not) but without the
/// attention, norm and elementwise passes that run between them in a real step.
///
/// ```
/// step GEMM time − replay   ≈ the cost of the other passes on the GEMMs' operands
/// replay − floor (alone)    ≈ the cost of the order and the buffers (and of mean vs best)
/// ```
/// The replay writes into the buffers (outputs overwritten, gradients added to again): run it
/// only when the step's results are no longer needed, and while its buffers are still allocated
/// (a ``GEMMCall`` keeps raw pointers).
public struct GEMMReplay: Sendable {
  /// Mean and best wall and thread CPU seconds of one replay of all the calls.
  public var meanSeconds = 0.0
  public var meanCPUSeconds = 0.0
  public var bestSeconds = Double.infinity
  public var bestCPUSeconds = Double.infinity
  /// Calls and total seconds of each shape over all replays.
  public var shapes: [GEMMShape: GEMMTally] = [:]

  /// Replays `calls` `repeats` times after one untimed replay, timing each call as the step's
  /// profiler does (one monotonic and one thread CPU clock read on each side).
  public init(_ calls: [GEMMCall], repeats: Int) {
    for call in calls { call.run() }
    let repeats = max(repeats, 1)
    for _ in 0..<repeats {
      var (total, totalCPU) = (0.0, 0.0)
      for call in calls {
        let (start, cpuStart) = (monotonicSeconds(), threadCPUSeconds())
        call.run()
        let (seconds, cpu) = (monotonicSeconds() - start, threadCPUSeconds() - cpuStart)
        shapes[call.shape, default: GEMMTally()].add(seconds, cpuSeconds: cpu)
        (total, totalCPU) = (total + seconds, totalCPU + cpu)
      }
      (meanSeconds, meanCPUSeconds) = (meanSeconds + total, meanCPUSeconds + totalCPU)
      (bestSeconds, bestCPUSeconds) = (min(bestSeconds, total), min(bestCPUSeconds, totalCPU))
    }
    (meanSeconds, meanCPUSeconds) = (
      meanSeconds / Double(repeats), meanCPUSeconds / Double(repeats)
    )
  }
}
