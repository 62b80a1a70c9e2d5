import Kernels

/// The GEMM floor of a training step, and where the step's time goes, from a ``StepProfiler``
/// that watched `steps` training steps.
///
/// ```
/// floor            = Σ_shapes calls per step · best seconds of one call of the shape alone
/// step / floor     = the bench's median step / floor       (1 would be nothing but GEMMs,
///                                                           each as fast as it runs alone)
/// in step / alone  = (flops / mean seconds in the step) / (flops / best seconds alone)
/// cold floor       = the same sum, each call timed after a ``CacheSweep``: operands from memory
/// ```
/// The floor counts the sgemm calls made through `sgemm` (linear layers and the tied head),
/// each shape timed on operands left warm in the cache by its previous call: a lower bound on
/// any step of this design. The cold floor times them after a sweep that evicts them from
/// every cache level, as most operands are in a step that streams more than the cache holds;
/// it is no strict bound (a step keeps some small operands cached, and a few shapes run faster
/// in the step than cold alone). The attention mixer is timed as a whole (phase `attention`)
/// and adds nothing to either floor. The fused softmax kernel's own products, which call no
/// sgemm, are timed alone beside it (``attentionProducts``): `floor +
/// attentionProducts.floorMS` counts every matrix product of the step.
///
/// Every figure comes twice: in wall time, and in the thread CPU time of the thread running
/// the step (`…CPU…`). With one OpenBLAS thread the second leaves out the waits for a core of
/// a loaded machine, which the best-of-N alone timings escape and the step's mean does not.
public struct StepFloor: Codable, Sendable {
  /// One sgemm shape of the step: how often it ran, how fast in the step, how fast alone.
  public struct Shape: Codable, Sendable {
    /// e.g. `1024×768×256 A·Bᵀ β=1` (``GEMMShape/description``).
    public var shape: String
    public var callsPerStep: Int
    /// Best of the repeats of one call alone.
    public var aloneMS: Double
    /// Mean of one call over the profiled steps.
    public var inStepMS: Double
    /// Best thread CPU time of one call alone; mean thread CPU time of one call in the step.
    public var aloneCPUMS: Double
    public var inStepCPUMS: Double
    public var aloneGflops: Double
    public var inStepGflops: Double
    /// In-step rate / alone rate.
    public var inStepOverAlone: Double
    /// The same in thread CPU time.
    public var inStepOverAloneCPU: Double
    /// callsPerStep · aloneMS: this shape's part of the floor.
    public var floorMS: Double
    /// Mean thread CPU time of one call alone (the same repeats as `aloneCPUMS`, averaged).
    public var aloneMeanCPUMS: Double
    /// Mean thread CPU time of one call in the ``GEMMReplay`` of the step's calls.
    public var replayCPUMS: Double
    /// Best wall and thread CPU time of one call alone on operands from memory (a
    /// ``CacheSweep`` before each call).
    public var aloneColdMS: Double
    public var aloneColdCPUMS: Double
    /// In-step rate / cold alone rate.
    public var inStepOverAloneCold: Double
  }

  /// Shapes by their part of the floor, largest first.
  public var shapes: [Shape]
  public var floorMS: Double
  /// Σ calls · best thread CPU time alone.
  public var floorCPUMS: Double
  /// Σ calls · best wall and thread CPU time alone on operands from memory.
  public var coldFloorMS: Double
  public var coldFloorCPUMS: Double
  /// The size of the sweep that evicts the operands before each cold call.
  public var sweepMB: Double
  /// Mean ms per step of each phase, exclusive, by `StepPhase.name`.
  public var phaseMS: [String: Double]
  public var phaseCPUMS: [String: Double]
  /// Mean ms per step of the profiled steps.
  public var stepMS: Double
  public var stepCPUMS: Double
  /// stepMS − Σ phaseMS: loop and pointer work, buffer copies of the placements, whatever no
  /// kernel wrapper claims.
  public var otherMS: Double
  public var otherCPUMS: Double
  /// One step's sgemm calls replayed in order on the step's buffers, nothing between
  /// (``GEMMReplay``): mean wall ms, mean and best thread CPU ms of all the calls.
  public var replayMS: Double
  public var replayCPUMS: Double
  public var replayBestCPUMS: Double
  /// Σ calls · mean thread CPU time alone: the floor with the step's statistic (a mean).
  public var aloneMeanCPUMS: Double
  /// The fused attention kernel's products alone, every layer; nil when the step's attention
  /// is another kind, or a shape the fused kernel does not take.
  public var attentionProducts: AttentionProducts?

  /// Replays the first step's sgemm calls `repeats / 4` times (``GEMMReplay``: this overwrites
  /// the model's activations and adds to its gradients), times each shape the profiler saw
  /// alone (best of `repeats` on fresh buffers), first every shape warm, then every shape cold,
  /// and sums the floors; `stepSeconds` and `stepCPUSeconds` are the total wall and thread CPU
  /// time of the `steps` profiled steps. `attention`, when given, is one layer's fused attention
  /// products timed alone and the number of layers that run them. `beforeColdTimings` runs
  /// between the warm and the cold timings: ranks timing side by side meet there, so that no
  /// rank's cache sweeps fall into another's warm timings (their cold timings still share the
  /// memory bandwidth, as their steps did).
  public init(
    profiler: StepProfiler, steps: Int, stepSeconds: Double, stepCPUSeconds: Double,
    repeats: Int, attention: (alone: AttentionProductsAlone, layers: Int)? = nil,
    beforeColdTimings: () -> Void = {}
  ) {
    let perStep = 1e3 / Double(max(steps, 1))
    let stepCalls = profiler.gemms.values.map(\.calls).reduce(0, +) / max(steps, 1)
    let replay = GEMMReplay(Array(profiler.calls.prefix(stepCalls)), repeats: max(repeats / 4, 1))
    (replayMS, replayCPUMS) = (replay.meanSeconds * 1e3, replay.meanCPUSeconds * 1e3)
    replayBestCPUMS = replay.bestCPUSeconds * 1e3
    let timed = Array(profiler.gemms.keys)
    let warm = timed.map { $0.secondsAlone(repeats: repeats) }
    beforeColdTimings()
    let sweep = CacheSweep()
    sweepMB = Double(sweep.bytes) / Double(1 << 20)
    let cold = timed.map { $0.secondsAlone(repeats: repeats, sweep: sweep) }
    shapes = zip(timed, zip(warm, cold)).map { shape, times in
      let (alone, cold) = times
      let tally = profiler.gemms[shape] ?? GEMMTally()
      let replayed = replay.shapes[shape] ?? GEMMTally()
      let calls = tally.calls / max(steps, 1)
      let inStep = tally.seconds / Double(max(tally.calls, 1))
      let inStepCPU = tally.cpuSeconds / Double(max(tally.calls, 1))
      return Shape(
        shape: shape.description, callsPerStep: calls, aloneMS: alone.seconds * 1e3,
        inStepMS: inStep * 1e3, aloneCPUMS: alone.cpuSeconds * 1e3, inStepCPUMS: inStepCPU * 1e3,
        aloneGflops: shape.flops / alone.seconds / 1e9, inStepGflops: shape.flops / inStep / 1e9,
        inStepOverAlone: alone.seconds / inStep, inStepOverAloneCPU: alone.cpuSeconds / inStepCPU,
        floorMS: Double(calls) * alone.seconds * 1e3, aloneMeanCPUMS: alone.meanCPUSeconds * 1e3,
        replayCPUMS: replayed.cpuSeconds / Double(max(replayed.calls, 1)) * 1e3,
        aloneColdMS: cold.seconds * 1e3, aloneColdCPUMS: cold.cpuSeconds * 1e3,
        inStepOverAloneCold: cold.seconds / inStep)
    }.sorted { ($0.floorMS, $0.shape) > ($1.floorMS, $1.shape) }
    let rows = self.shapes
    func perStepSum(_ time: KeyPath<Shape, Double>) -> Double {
      rows.map { Double($0.callsPerStep) * $0[keyPath: time] }.reduce(0, +)
    }
    (floorMS, floorCPUMS, aloneMeanCPUMS) = (
      perStepSum(\.aloneMS), perStepSum(\.aloneCPUMS), perStepSum(\.aloneMeanCPUMS)
    )
    (coldFloorMS, coldFloorCPUMS) = (perStepSum(\.aloneColdMS), perStepSum(\.aloneColdCPUMS))
    func perPhase(_ seconds: [Double]) -> [String: Double] {
      Dictionary(
        uniqueKeysWithValues: StepPhase.allCases.map { ($0.name, seconds[$0.rawValue] * perStep) })
    }
    (phaseMS, phaseCPUMS) = (perPhase(profiler.seconds), perPhase(profiler.cpuSeconds))
    (stepMS, stepCPUMS) = (stepSeconds * perStep, stepCPUSeconds * perStep)
    otherMS = stepMS - phaseMS.values.reduce(0, +)
    otherCPUMS = stepCPUMS - phaseCPUMS.values.reduce(0, +)
    attentionProducts = attention.map { AttentionProducts($0.alone, layers: $0.layers) }
  }

  /// Calls per step over all shapes.
  public var callsPerStep: Int { shapes.map(\.callsPerStep).reduce(0, +) }
}
