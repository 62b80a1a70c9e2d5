#if canImport(Glibc)
  import Glibc
#endif

/// Learning rate per step: linear warmup to `peak`, then cosine decay to `minimum` at the last
/// step, or constant after warmup.
///
/// ```
/// step < warmup:        lr = peak · (step + 1) / warmup
/// cosine, afterwards:   lr = min + ½·(peak − min)·(1 + cos(π · (step − warmup) / (steps − warmup)))
/// constant, afterwards: lr = peak
/// stlr:                 see ``slantedTriangular(at:)`` (no warmup, no minimum)
/// ```
/// Steps count from 0; the schedule is a pure function of the step, so a resumed run continues
/// it exactly.
///
/// ### References
/// I. Loshchilov, F. Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.
public struct LearningRateSchedule: Sendable, Equatable {
  public enum Shape: Sendable, Equatable { case cosine, constant, stlr }
  public var peak: Double
  public var minimum: Double
  public var warmup: Int
  public var steps: Int
  public var shape: Shape
  /// STLR's `cut_frac` and `ratio` (used by `.stlr` only).
  public var cutFraction = 0.1
  public var ratio = 32.0

  public init(peak: Double, minimum: Double, warmup: Int, steps: Int, shape: Shape) {
    (self.peak, self.minimum, self.warmup, self.steps, self.shape) =
      (peak, minimum, warmup, steps, shape)
  }

  public func rate(at step: Int) -> Double {
    if shape == .stlr { return slantedTriangular(at: step) }
    if step < warmup { return peak * Double(step + 1) / Double(warmup) }
    guard shape == .cosine, steps > warmup else { return peak }
    let progress = min(1, Double(step - warmup) / Double(max(1, steps - 1 - warmup)))
    return minimum + 0.5 * (peak - minimum) * (1 + cos(Double.pi * progress))
  }
}
