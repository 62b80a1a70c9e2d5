/// A step's median time split four ways, the same in the table and the stacked bars:
///
/// ```
/// step = compute + gradient transfer + norm-stats transfer + waiting
/// compute   = the workers' own work: per step the mean over workers of each one's main-thread
///             CPU ms outside collectives (a CPU-time clock: it stops while the thread waits)
/// transfer  = per step the least wait over the workers (for norm statistics per call, summed):
///             the last worker to arrive waits only for the data to move; what the cost
///             model predicts
/// waiting   = the rest: for slower workers, for a free core (other processes, or more workers
///             than cores), at the timing barriers, and the step's small control messages
/// ```
/// Each term is a median over the steps and `waiting` is what the others leave of the median
/// step, so a bar's height is the median step. Results written before compute was measured by
/// CPU time fall back to rank 0's wall time outside collectives (`computeMs`).
public struct StepBreakdown: Equatable {
  public var compute: Double
  public var gradientTransfer: Double
  public var normStatsTransfer: Double
  public var waiting: Double

  public init(_ point: ComparePoint) {
    compute = point.ownComputeMs ?? point.computeMs
    gradientTransfer = point.workers > 1 ? point.gradientTransferMs ?? point.gradientWaitMs : 0
    normStatsTransfer = point.workers > 1 ? point.normStatsTransferMs ?? point.normStatsWaitMs : 0
    waiting = max(0, point.stepMs - compute - gradientTransfer - normStatsTransfer)
  }
}

/// The parts of a step's time, bottom to top in the stacked bars.
public enum StepSegment: CaseIterable {
  case compute, gradientTransfer, normStatsTransfer, waiting

  public var label: String {
    switch self {
    case .compute: "compute (own CPU)"
    case .gradientTransfer: "gradient transfer"
    case .normStatsTransfer: "norm-stats transfer"
    case .waiting: "waiting (workers, cores)"
    }
  }

  /// Okabe–Ito colours that none of the norms use, grey for the computation.
  public var colour: String {
    switch self {
    case .compute: "#C9CED6"
    case .gradientTransfer: "#56B4E9"
    case .normStatsTransfer: "#CC79A7"
    case .waiting: "#F0E442"
    }
  }

  public func milliseconds(_ breakdown: StepBreakdown) -> Double {
    switch self {
    case .compute: breakdown.compute
    case .gradientTransfer: breakdown.gradientTransfer
    case .normStatsTransfer: breakdown.normStatsTransfer
    case .waiting: breakdown.waiting
    }
  }
}

extension ComparePoint {
  public var breakdown: StepBreakdown { StepBreakdown(self) }

  /// Quartiles over the measured steps of the step time, nil without per-step data.
  public var stepQuartiles: Quartiles? { perStep.flatMap { Quartiles($0.stepMs) } }

  /// Quartiles over the measured steps of the workers' own compute.
  public var computeQuartiles: Quartiles? { perStep.flatMap { Quartiles($0.computeMs) } }

  /// Quartiles of tokens/s over the steps: the step time's, mapped (a slow step is a low rate).
  public var tokensPerSecondQuartiles: Quartiles? {
    let tokens = tokensPerSecond * stepMs
    return stepQuartiles?.mappedDecreasing { tokens / $0 }
  }
}
