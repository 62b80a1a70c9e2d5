import Distributed

/// Watches the collectives of every optimizer step, riding on the step's one small gather (no
/// collective of its own). Attach it on every rank or on none: the gather's length depends on it.
public protocol StepObserver: AnyObject {
  /// Before the step's first collective.
  func stepBegins(_ accounting: CollectiveAccounting)
  /// This worker's figures for the step's gather, read after the gradient all-reduce (more
  /// than one worker only).
  func figures(_ accounting: CollectiveAccounting) -> [Double]
  /// Every worker's `figures`, in rank order.
  func gathered(_ figures: [[Double]])
}

/// The communication of a step without the load imbalance: the worker that arrives last at a
/// collective waits only for the transfer. Gradients: the least total wait over the workers;
/// norm statistics: the sum over the step's calls of each call's least wait over the workers
/// (0 for one worker; every rank makes the same norm-statistics calls).
public final class LeastWaitObserver: StepObserver {
  /// The figures of the last step.
  public private(set) var waits = LeastWaits()
  private var before = CollectiveSnapshot()

  public init() {}

  public func stepBegins(_ accounting: CollectiveAccounting) {
    waits = LeastWaits()
    before = accounting.snapshot()
    accounting.startLog(.normStats)
  }

  public func figures(_ accounting: CollectiveAccounting) -> [Double] {
    [accounting.snapshot().subtracting(before)[.gradients].seconds] + accounting.loggedCalls
  }

  public func gathered(_ figures: [[Double]]) {
    waits.gradients = figures.map { $0[0] }.min() ?? 0
    for call in 1..<(figures.first?.count ?? 1) {
      waits.normStatistics += figures.map { $0[call] }.min() ?? 0
    }
  }
}
