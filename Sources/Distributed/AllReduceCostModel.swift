/// The α–β cost of an all-reduce of n bytes: t(n) = α + β·n.
///
/// α is the latency of the smallest message (software overhead and synchronization), β the
/// seconds per byte of the buffer; 1/β is the rate at which the buffer size is reduced
/// (the algorithm bandwidth of a large message). Bus bandwidth rescales it to what each link
/// carries, so that figures for different worker counts compare with the hardware's rate.
///
/// ### References
/// - Hockney, "The communication challenge for MPP", Parallel Computing 20 (1994): the α–β
///   model.
/// - NVIDIA nccl-tests, doc/PERFORMANCE.md: algorithm and bus bandwidth.
/// - Ohio State University, OSU Micro-Benchmarks, osu_allreduce: the latency measurement.
public struct AllReduceCostModel: Equatable, Sendable {
  /// Seconds per call, independent of the size.
  public var alpha: Double
  /// Seconds per byte of the buffer.
  public var beta: Double

  public init(alpha: Double, beta: Double) {
    self.alpha = alpha
    self.beta = beta
  }

  /// The predicted time of one all-reduce of `bytes` bytes: α + β·bytes.
  public func seconds(bytes: Int) -> Double { alpha + beta * Double(bytes) }

  /// Fits α and β to measured (size, time) pairs by least squares on the relative error.
  ///
  /// Minimizes Σᵢ ((α + β·nᵢ − tᵢ) / tᵢ)², a weighted least-squares line with weights
  /// wᵢ = 1/tᵢ²:
  ///
  /// ```
  /// n̄ = Σ wᵢnᵢ / Σ wᵢ,   t̄ = Σ wᵢtᵢ / Σ wᵢ
  /// β = Σ wᵢ(nᵢ − n̄)(tᵢ − t̄) / Σ wᵢ(nᵢ − n̄)²,   α = t̄ − β·n̄
  /// ```
  ///
  /// Sizes span seven orders of magnitude (4 B to 64 MiB) and times four: unweighted least
  /// squares would fit the largest sizes alone, and their noise (milliseconds) would swamp α
  /// (microseconds), often making it negative. Relative errors give every size the same say.
  ///
  /// - Returns: nil without at least one pair of positive time; β = 0 when all sizes are equal.
  /// - Complexity: O(n) for n pairs.
  public static func fit(bytes: [Int], seconds: [Double]) -> AllReduceCostModel? {
    let pairs = zip(bytes.map(Double.init), seconds).filter { $0.1 > 0 }
    guard !pairs.isEmpty else { return nil }
    let weights = pairs.map { 1 / ($0.1 * $0.1) }
    let totalWeight = weights.reduce(0, +)
    var meanSize = 0.0
    var meanTime = 0.0
    for (weight, (size, time)) in zip(weights, pairs) {
      meanSize += weight * size / totalWeight
      meanTime += weight * time / totalWeight
    }
    var covariance = 0.0
    var variance = 0.0
    for (weight, (size, time)) in zip(weights, pairs) {
      covariance += weight * (size - meanSize) * (time - meanTime)
      variance += weight * (size - meanSize) * (size - meanSize)
    }
    let beta = variance > 0 ? covariance / variance : 0
    return AllReduceCostModel(alpha: meanTime - beta * meanSize, beta: beta)
  }

  /// Fits α to the latency regime and β to the bandwidth regime, falling back to `fit` when a
  /// regime has no measurement:
  ///
  /// ```
  /// α = median { tᵢ : nᵢ ≤ smallest }                      (latency: small messages)
  /// β = Σ (tᵢ − α)·nᵢ / Σ nᵢ²  over { i : nᵢ ≥ largest }    (least squares through α)
  /// ```
  ///
  /// Real transports are not one straight line: TCP and shared memory switch protocols and
  /// algorithms with the size (eager, rendezvous, pipelined ring), so a single line fitted over
  /// 4 B…64 MiB bends toward the middle sizes and misses both the few-hundred-byte norm
  /// statistics and the megabyte gradient buckets. Two regimes keep each end right, which is
  /// what the cost model predicts from.
  public static func fitRegimes(
    bytes: [Int], seconds: [Double], smallest: Int = 1024, largest: Int = 262_144
  ) -> AllReduceCostModel? {
    let pairs = zip(bytes, seconds).filter { $0.1 > 0 }
    let small = pairs.filter { $0.0 <= smallest }.map(\.1).sorted()
    let large = pairs.filter { $0.0 >= largest }
    guard !small.isEmpty, !large.isEmpty else { return fit(bytes: bytes, seconds: seconds) }
    let alpha = small[small.count / 2]
    let numerator = large.reduce(0.0) { $0 + ($1.1 - alpha) * Double($1.0) }
    let denominator = large.reduce(0.0) { $0 + Double($1.0) * Double($1.0) }
    return AllReduceCostModel(alpha: alpha, beta: max(0, numerator / denominator))
  }

  /// The largest relative error |α + β·nᵢ − tᵢ| / tᵢ of the model over measured pairs.
  public func maximumRelativeError(bytes: [Int], seconds: [Double]) -> Double {
    zip(bytes, seconds).filter { $0.1 > 0 }
      .map { abs(self.seconds(bytes: $0.0) - $0.1) / $0.1 }.max() ?? 0
  }

  /// Algorithm bandwidth in bytes per second: the buffer size over the time, n / t.
  public static func algorithmBandwidth(bytes: Int, seconds: Double) -> Double {
    seconds > 0 ? Double(bytes) / seconds : 0
  }

  /// Bus bandwidth in bytes per second, as nccl-tests define it for all-reduce:
  ///
  /// ```
  /// busbw = algbw · 2(N − 1)/N = (n / t) · 2(N − 1)/N
  /// ```
  ///
  /// A ring or reduce-scatter + all-gather all-reduce sends and receives 2(N − 1)/N · n bytes
  /// per rank, so busbw is the rate each rank's link runs at, comparable across N. It is 0 for
  /// one worker, which moves nothing.
  public static func busBandwidth(bytes: Int, seconds: Double, workers: Int) -> Double {
    guard workers > 0 else { return 0 }
    let factor = 2 * Double(workers - 1) / Double(workers)
    return algorithmBandwidth(bytes: bytes, seconds: seconds) * factor
  }
}
