import Support

#if canImport(Glibc)
  import Glibc
#endif

/// What one message size of the all-reduce benchmark measured, over all ranks.
public struct AllReduceMeasurement: Equatable, Sendable {
  /// The buffer size in bytes (a multiple of 4: Floats).
  public var bytes: Int
  /// Timed calls on each rank (after the warm-up calls).
  public var iterations: Int
  /// The mean time of one call, averaged over ranks (osu_allreduce's "Avg Latency").
  public var seconds: Double
  /// The smallest of the ranks' mean times.
  public var minimumSeconds: Double
  /// The largest of the ranks' mean times.
  public var maximumSeconds: Double
  /// Per timed call the least time over the ranks (the rank that reached the call last waits
  /// only for the transfer), median over calls: what a training step's timing measures after
  /// its barrier (`distributed.timing_barriers`), and what the cost model is fitted on.
  public var leastOverRanksSeconds: Double
  /// Whether every element on every rank held N(N + 1)/2 after the checked call.
  public var verified: Bool
  /// The number of wrong elements, over all ranks.
  public var wrongElements: Int
}

/// Measures MPI_Allreduce (sum, Float, in place) of one size, as osu_allreduce does.
///
/// First one checked call: rank r contributes r + 1 in every element, and every element must
/// come back as N(N + 1)/2 on every rank (exact in Float up to thousands of workers). Then
/// `warmup` untimed calls and `iterations` timed ones, each timed alone and followed by an
/// untimed barrier so that no call overlaps the next (OSU Micro-Benchmarks, osu_allreduce).
/// The timed calls reduce zeros, so values stay finite however many calls run. Each rank's
/// call times are gathered; the result holds the average, minimum and maximum of the ranks'
/// means, and the median over calls of each call's least time over the ranks.
///
/// With `idleSeconds` > 0 every rank sleeps that long before each timed call (after the
/// barrier), so each call starts on idle links and empty queues, as a training step's single
/// all-reduce does; back-to-back calls on a shaped TCP link run measurably slower per byte.
///
/// All ranks must call it with the same arguments. The all-reduces are accounted under
/// `category`; the barriers and the gathering of the results under `.control`.
///
/// - Complexity: (1 + warmup + iterations) all-reduces of `bytes` bytes.
public func measureAllReduce(
  on communicator: any Communicator, bytes: Int, iterations: Int, warmup: Int,
  idleSeconds: Double = 0, category: CollectiveCategory = .gradients
) -> AllReduceMeasurement {
  precondition(bytes >= 0 && bytes % 4 == 0, "all-reduce benchmark sizes are whole Floats")
  precondition(iterations > 0 && warmup >= 0, "all-reduce benchmark needs timed iterations")
  let count = bytes / MemoryLayout<Float>.stride
  let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
  defer { buffer.deallocate() }

  buffer.initialize(repeating: Float(communicator.rank + 1), count: count)
  communicator.allReduceSum(buffer, count: count, category: category)
  let workers = communicator.size
  let expected = Float(workers * (workers + 1) / 2)
  var wrong = 0
  for i in 0..<count where buffer[i] != expected { wrong += 1 }

  buffer.update(repeating: 0, count: count)
  for _ in 0..<warmup {
    communicator.allReduceSum(buffer, count: count, category: category)
  }
  communicator.barrier(category: .control)
  var callSeconds: [Double] = []
  callSeconds.reserveCapacity(iterations)
  for _ in 0..<iterations {
    if idleSeconds > 0 {
      var pause = timespec(
        tv_sec: Int(idleSeconds), tv_nsec: Int((idleSeconds - Double(Int(idleSeconds))) * 1e9))
      nanosleep(&pause, nil)
      communicator.barrier(category: .control)
    }
    let start = monotonicSeconds()
    communicator.allReduceSum(buffer, count: count, category: category)
    callSeconds.append(monotonicSeconds() - start)
    communicator.barrier(category: .control)
  }

  let perRank = communicator.allGather(callSeconds + [Double(wrong)], category: .control)
  let times = perRank.map { $0[0..<iterations].reduce(0, +) / Double(iterations) }
  let leastPerCall = (0..<iterations).map { call in perRank.map { $0[call] }.min() ?? 0 }
  let wrongElements = Int(perRank.map { $0[iterations] }.reduce(0, +))
  return AllReduceMeasurement(
    bytes: bytes, iterations: iterations, seconds: times.reduce(0, +) / Double(times.count),
    minimumSeconds: times.min() ?? 0, maximumSeconds: times.max() ?? 0,
    leastOverRanksSeconds: leastPerCall.sorted()[iterations / 2],
    verified: wrongElements == 0, wrongElements: wrongElements)
}
