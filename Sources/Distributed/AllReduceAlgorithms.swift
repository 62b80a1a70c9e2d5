/// All-reduce times for p workers predicted from an α–β fit measured with two workers.
///
/// With two workers every all-reduce algorithm is one exchange, t₂(n) = α₂ + β₂·n (what
/// `ddp bench allreduce -np 2` fits). For p workers:
///
/// ```
/// ring (reduce-scatter + all-gather), large messages:
///   t = 2(p − 1)·α + 2(p − 1)/p · n·β           with α = α₂/2, β = β₂
///     = (p − 1)·α₂ + 2(p − 1)/p · n·β₂
/// recursive doubling, small messages:
///   t = ⌈log₂ p⌉ · (α₂ + n·β₂)
/// ```
/// Both give t₂ at p = 2. The ring's 2(p − 1) steps each send n/p bytes, so its bandwidth term
/// tends to 2·n·β₂ while its latency grows linearly; recursive doubling sends the whole buffer
/// ⌈log₂ p⌉ times with logarithmic latency. MPI libraries switch between them by message size
/// (OpenMPI's tuned all-reduce: recursive doubling for small buffers, ring or segmented ring
/// for large ones), so gradients are predicted with the ring and the few hundred bytes of norm
/// statistics with recursive doubling.
///
/// ### References
/// - Thakur, Rabenseifner, Gropp, "Optimization of Collective Communication Operations in
///   MPICH", IJHPCA 19 (2005): the algorithms and their costs.
/// - Patarasuk, Yuan, "Bandwidth optimal all-reduce algorithms for clusters of workstations",
///   JPDC 69 (2009): the ring.
public struct AllReduceAlgorithms: Equatable, Sendable {
  /// t₂(n) = α₂ + β₂·n, measured with two workers.
  public var twoWorkers: AllReduceCostModel

  public init(twoWorkers: AllReduceCostModel) { self.twoWorkers = twoWorkers }

  /// Seconds of a ring all-reduce of `bytes` over `workers`; 0 for one worker.
  public func ring(workers p: Int, bytes n: Int) -> Double {
    guard p > 1 else { return 0 }
    let steps = Double(p - 1)
    return steps * twoWorkers.alpha + 2 * steps / Double(p) * Double(n) * twoWorkers.beta
  }

  /// Seconds of a recursive-doubling all-reduce of `bytes` over `workers`; 0 for one worker.
  public func recursiveDoubling(workers p: Int, bytes n: Int) -> Double {
    guard p > 1 else { return 0 }
    let rounds = Double(Int.bitWidth - (p - 1).leadingZeroBitCount)  // ⌈log₂ p⌉
    return rounds * twoWorkers.seconds(bytes: n)
  }
}
