import Support

/// The kinds of work a training step is made of, as `ddp bench` breaks its time down.
public enum StepPhase: Int, CaseIterable, Codable, Sendable {
  /// `sgemm` calls made through ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``:
  /// the linear layers and the tied head.
  case gemm
  /// The attention mixer between qkv and the output projection, whatever it calls inside
  /// (softmax attention's per-head products included).
  case attention
  /// Norm layers, forward and backward (SyncBatchNorm's statistics exchanges included).
  case norms
  /// Bias, residual, GELU, embedding, the head's softmax, bias-gradient sums, clearing buffers.
  case elementwise
  /// Zeroing the gradients, the gradient norm and clipping, the AdamW update.
  case optimizer
  /// Gradient collectives.
  case communication

  public var name: String {
    switch self {
    case .gemm: "GEMM"
    case .attention: "attention"
    case .norms: "norms"
    case .elementwise: "elementwise"
    case .optimizer: "optimizer"
    case .communication: "communication"
    }
  }
}

/// Where a training step's time goes: exclusive seconds per ``StepPhase``, and every sgemm's
/// shape and seconds, while installed as ``stepProfiler``; each in wall time and in this
/// thread's CPU time. With one OpenBLAS thread (all the work on the calling thread) the CPU
/// time is the work without the waits for a core that a shared machine adds to the wall time.
///
/// Phases nest and the innermost one is charged: entering a phase pauses the enclosing one, so
/// each second between two switches counts once. `linearForward` is elementwise around its
/// sgemm, so its bias copy counts as elementwise and its product as GEMM.
///
/// ```
/// seconds[p] = Σ over the intervals in which p was the innermost phase entered
/// ```
/// Each switch reads the monotonic clock (~25 ns) and the thread CPU clock (a system call,
/// about a microsecond at most); a step of `configs/bench.toml` has about 370 switches.
/// Not thread-safe: install it around single-threaded training steps only (the bench's).
public final class StepProfiler {
  /// Exclusive seconds per phase, indexed by `StepPhase.rawValue`.
  public private(set) var seconds = [Double](repeating: 0, count: StepPhase.allCases.count)
  /// Exclusive thread CPU seconds per phase, indexed by `StepPhase.rawValue`.
  public private(set) var cpuSeconds = [Double](repeating: 0, count: StepPhase.allCases.count)
  /// Calls and seconds of each sgemm shape.
  public private(set) var gemms: [GEMMShape: GEMMTally] = [:]
  /// The first ``callTraceLimit`` sgemm calls in order, for ``GEMMReplay``.
  public private(set) var calls: [GEMMCall] = []
  /// Calls kept in ``calls``: a few steps of `configs/bench.toml` (75 calls each).
  public static let callTraceLimit = 4096
  private var current: StepPhase?
  private var since = 0.0
  private var cpuSince = 0.0

  public init() {}

  /// Starts charging `phase`; returns the phase to restore with ``leave(to:)``.
  public func enter(_ phase: StepPhase) -> StepPhase? {
    charge()
    defer { current = phase }
    return current
  }

  /// Stops charging the current phase and resumes `outer`; returns the wall and CPU seconds
  /// just charged.
  @discardableResult
  public func leave(to outer: StepPhase?) -> (seconds: Double, cpuSeconds: Double) {
    let charged = charge()
    current = outer
    return charged
  }

  /// Adds one sgemm call that took `seconds` (wall) and `cpuSeconds`.
  public func record(_ call: GEMMCall, seconds: Double, cpuSeconds: Double) {
    gemms[call.shape, default: GEMMTally()].add(seconds, cpuSeconds: cpuSeconds)
    if calls.count < Self.callTraceLimit { calls.append(call) }
  }

  /// Forgets everything recorded (phases and shapes).
  public func reset() {
    seconds = seconds.map { _ in 0 }
    cpuSeconds = cpuSeconds.map { _ in 0 }
    gemms = [:]
    calls = []
  }

  @discardableResult
  private func charge() -> (seconds: Double, cpuSeconds: Double) {
    let (now, cpuNow) = (monotonicSeconds(), threadCPUSeconds())
    let (elapsed, cpuElapsed) = (now - since, cpuNow - cpuSince)
    (since, cpuSince) = (now, cpuNow)
    guard let current else { return (0, 0) }
    seconds[current.rawValue] += elapsed
    cpuSeconds[current.rawValue] += cpuElapsed
    return (elapsed, cpuElapsed)
  }
}

/// Calls of one sgemm shape and their total wall and thread CPU seconds.
public struct GEMMTally: Sendable, Equatable {
  public var calls = 0
  public var seconds = 0.0
  public var cpuSeconds = 0.0

  public init() {}

  public mutating func add(_ elapsed: Double, cpuSeconds cpu: Double) {
    calls += 1
    seconds += elapsed
    cpuSeconds += cpu
  }
}

/// The profiler the kernels report to, or nil (the default: then a kernel pays one nil check).
/// Set only by `ddp bench` around its timed steps, from the one thread that runs them.
nonisolated(unsafe) public var stepProfiler: StepProfiler?

/// Runs `body` charged to `phase` when a profiler is installed; otherwise just runs it.
@inlinable
public func profiled<R>(_ phase: StepPhase, _ body: () throws -> R) rethrows -> R {
  guard let profiler = stepProfiler else { return try body() }
  let outer = profiler.enter(phase)
  defer { profiler.leave(to: outer) }
  return try body()
}
