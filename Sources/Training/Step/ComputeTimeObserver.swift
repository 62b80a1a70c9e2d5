import Distributed
import Support

/// Each worker's own compute in a step: the CPU seconds of its main thread outside collectives.
///
/// ```
/// compute_r = ΔCPU_r(step) − ΔCPU_r(inside collectives)      (thread CPU-time clock)
/// ```
/// The thread's CPU clock stops while it sleeps or waits for a core, so the figure is the work
/// the worker did, whatever the other workers or processes did meanwhile: with more workers
/// than cores, a rank preempted in the middle of its forward pass would otherwise count the
/// other ranks' compute as its own, and a rank that sleeps in a collective while they run
/// would count it as communication. (Each rank runs one OpenBLAS thread under `ddp compare`,
/// so the main thread does all of the rank's arithmetic.)
///
/// The step's gather comes after the gradient all-reduce, so the gathered figure of each rank
/// covers the step up to there; `stepEnds` adds the rest (clipping and the AdamW update, the
/// same work on every rank) as measured on this rank.
public final class ComputeTimeObserver: StepObserver {
  /// The step's compute: the mean and the largest over the workers.
  public private(set) var seconds = ComputeSeconds()
  private var cpuAtStart = 0.0
  private var insideAtStart = 0.0
  private var ownAtGather: Double?
  private var gatheredFigures: [Double] = []

  public init() {}

  public func stepBegins(_ accounting: CollectiveAccounting) {
    cpuAtStart = threadCPUSeconds()
    insideAtStart = accounting.cpuSecondsInside
    ownAtGather = nil
    gatheredFigures = []
  }

  public func figures(_ accounting: CollectiveAccounting) -> [Double] {
    let own = ownCompute(accounting)
    ownAtGather = own
    return [own]
  }

  public func gathered(_ figures: [[Double]]) { gatheredFigures = figures.compactMap(\.first) }

  /// Closes the step: with a gather, each rank's figure plus this rank's compute since it;
  /// without (one worker), this rank's compute alone.
  public func stepEnds(_ accounting: CollectiveAccounting) {
    let own = ownCompute(accounting)
    guard let ownAtGather, !gatheredFigures.isEmpty else {
      seconds = ComputeSeconds(mean: own, slowest: own)
      return
    }
    let perRank = gatheredFigures.map { $0 + (own - ownAtGather) }
    seconds = ComputeSeconds(
      mean: perRank.reduce(0, +) / Double(perRank.count), slowest: perRank.max() ?? own)
  }

  private func ownCompute(_ accounting: CollectiveAccounting) -> Double {
    max(0, (threadCPUSeconds() - cpuAtStart) - (accounting.cpuSecondsInside - insideAtStart))
  }
}
