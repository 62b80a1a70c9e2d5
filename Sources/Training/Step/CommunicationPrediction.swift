import Config
import Distributed
import Models

/// The communication one optimizer step of a run needs over `workers`, and its predicted time.
///
/// ```
/// gradients:        one all-reduce per bucket b (bytes n_b, Σ n_b = 4·parameters), by ring
///                   t_grad = Σ_b ring(p, n_b)
/// norm statistics:  kinds that exchange them (`NormLayer.exchangeCounts`; syncbatchnorm): per
///                   micro-step and norm layer, the forward sums (Σx, Σx², count) of
///                   4·(2C + 1) bytes and the backward sums (Σdy, Σdy·x̂) of 4·2C bytes, by
///                   recursive doubling
///                   t_norm = grad_accum · L_norm · (rd(p, 4(2C+1)) + rd(p, 8C))
/// ```
/// with `ring` and `rd` from ``AllReduceAlgorithms``. Waiting for slower workers (load
/// imbalance) is not communication and is not predicted.
public struct CommunicationPrediction: Equatable, Sendable {
  public var workers: Int
  public var gradientCalls: Int
  public var gradientBytes: Int
  public var gradientSeconds: Double
  public var normStatisticsCalls: Int
  public var normStatisticsBytes: Int
  public var normStatisticsSeconds: Double

  /// Predicts from a two-worker fit with the ring (gradients) and recursive-doubling (norm
  /// statistics) formulas: for worker counts not measured.
  public init(run: RunConfig, workers: Int, algorithms: AllReduceAlgorithms) {
    self.init(run: run, workers: workers) { bytes, isStatistics in
      isStatistics
        ? algorithms.recursiveDoubling(workers: workers, bytes: bytes)
        : algorithms.ring(workers: workers, bytes: bytes)
    }
  }

  /// Predicts from an α–β fit measured with the same number of workers, whatever algorithm
  /// the MPI library picks: a gradient bucket costs α + β·n; a norm-statistics message (a few
  /// KiB at most) costs α, the median latency measured at 4 B–1 KiB, since β is fitted on
  /// messages of 256 KiB and more (a shaped link's token bucket lets small messages through
  /// at wire speed, and β·n would double their cost). `ddp compare` checks these against
  /// training, with the fit of each worker count measured in the same sweep.
  public init(run: RunConfig, workers: Int, fitAtWorkers fit: AllReduceCostModel) {
    self.init(run: run, workers: workers) { bytes, isStatistics in
      isStatistics ? fit.alpha : fit.seconds(bytes: bytes)
    }
  }

  /// The calls and bytes of a step, each call's time from `seconds(bytes, isStatistics)`.
  init(run: RunConfig, workers: Int, seconds: (Int, Bool) -> Double) {
    self.workers = workers
    let buckets =
      workers > 1
      ? GradientBuckets.bucketBytes(model: run.model, bucketMB: run.distributed.bucketMB) : []
    gradientCalls = buckets.count
    gradientBytes = buckets.reduce(0, +)
    gradientSeconds = buckets.map { seconds($0, false) }.reduce(0, +)
    let exchanged = run.model.norm.layer.exchangeCounts(channels: run.model.dModel)
    let (forward, backward) = (4 * exchanged.forward, 4 * exchanged.backward)
    let layers =
      exchanged.calls > 0 && workers > 1
      ? ModelLayout(run.model).normLayerCount * run.train.gradAccum : 0
    normStatisticsCalls = exchanged.calls * layers
    normStatisticsBytes = layers * (forward + backward)
    normStatisticsSeconds =
      Double(layers)
      * ((forward > 0 ? seconds(forward, true) : 0) + (backward > 0 ? seconds(backward, true) : 0))
  }
}
