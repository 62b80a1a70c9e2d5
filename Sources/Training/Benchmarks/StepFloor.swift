import Kernels

/// The GEMM floor of a training step, and where the step's time goes, from a ``StepProfiler``
/// that watched `steps` training steps.
///
/// ```
/// floor            = Σ_shapes calls per step · best seconds of one call of the shape alone
/// step / floor     = the bench's median step / floor       (1 would be nothing but GEMMs,
///                                                           each as fast as it runs alone)
/// in step / alone  = (flops / mean seconds in the step) / (flops / best seconds alone)
/// ```
/// The floor counts the sgemm calls made through `sgemm` (linear layers and the tied head);
/// the attention mixer is timed as a whole (phase `attention`) and adds nothing to the floor,
/// so the floor is a lower bound on any step of this design that keeps those products.
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
    public var aloneGflops: Double
    public var inStepGflops: Double
    /// In-step rate / alone rate.
    public var inStepOverAlone: Double
    /// callsPerStep · aloneMS: this shape's part of the floor.
    public var floorMS: Double
  }

  /// Shapes by their part of the floor, largest first.
  public var shapes: [Shape]
  public var floorMS: Double
  /// Mean ms per step of each phase, exclusive, by `StepPhase.name`.
  public var phaseMS: [String: Double]
  /// Mean ms per step of the profiled steps.
  public var stepMS: Double
  /// stepMS − Σ phaseMS: loop and pointer work, buffer copies of the placements, whatever no
  /// kernel wrapper claims.
  public var otherMS: Double

  /// Times each shape the profiler saw alone (best of `repeats` on fresh buffers) and sums the
  /// floor; `stepSeconds` is the total wall time of the `steps` profiled steps.
  public init(profiler: StepProfiler, steps: Int, stepSeconds: Double, repeats: Int) {
    let perStep = 1e3 / Double(max(steps, 1))
    shapes = profiler.gemms.map { shape, tally in
      let alone = shape.secondsAlone(repeats: repeats)
      let calls = tally.calls / max(steps, 1)
      let inStep = tally.seconds / Double(max(tally.calls, 1))
      return Shape(
        shape: shape.description, callsPerStep: calls, aloneMS: alone * 1e3,
        inStepMS: inStep * 1e3, aloneGflops: shape.flops / alone / 1e9,
        inStepGflops: shape.flops / inStep / 1e9, inStepOverAlone: alone / inStep,
        floorMS: Double(calls) * alone * 1e3)
    }.sorted { ($0.floorMS, $0.shape) > ($1.floorMS, $1.shape) }
    floorMS = shapes.map(\.floorMS).reduce(0, +)
    phaseMS = Dictionary(
      uniqueKeysWithValues: StepPhase.allCases.map {
        ($0.name, profiler.seconds[$0.rawValue] * perStep)
      })
    stepMS = stepSeconds * perStep
    otherMS = stepMS - phaseMS.values.reduce(0, +)
  }

  /// Calls per step over all shapes.
  public var callsPerStep: Int { shapes.map(\.callsPerStep).reduce(0, +) }
}
