/// The workers of a data-parallel job and the collectives they make together.
///
/// Every rank must make the same collective calls in the same order, with the same counts
/// (an all-reduce, broadcast or all-gather with different sizes on different ranks is an
/// error). Each call is counted in `accounting` under its `category`: calls, the bytes this
/// rank contributes, and the seconds spent inside the call or waiting for it.
///
/// Errors are not thrown: a failed collective ends the whole job through `abort`, so that no
/// rank is left waiting in a collective the others will never join (DESIGN.md section 5).
///
/// Implementations: `MPICommunicator` (the ranks of `mpirun -np N`) and
/// `SingleProcessCommunicator` (one worker, collectives are no-ops). `makeWorldCommunicator()`
/// picks between them.
public protocol Communicator: AnyObject {
  /// This worker's index, 0 ..< size; rank 0 prints and writes files.
  var rank: Int { get }
  /// The number of workers.
  var size: Int { get }
  /// The counters of every collective this communicator made.
  var accounting: CollectiveAccounting { get }
  /// How long a collective may wait for the other ranks, and the step the timeout line names.
  var watchdog: CollectiveWatchdog { get }

  /// Replaces `buffer[0 ..< count]` on every rank with its sum over all ranks (MPI_Allreduce,
  /// MPI_SUM, in place).
  ///
  /// - Complexity: about α + β·4·count seconds; see `AllReduceCostModel`.
  func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int, category: CollectiveCategory)

  /// Replaces `buffer[0 ..< count]` on every rank with its sum over all ranks, in double
  /// precision (for losses, counts and checks that must not round).
  func allReduceSum(
    _ buffer: UnsafeMutablePointer<Double>, count: Int, category: CollectiveCategory)

  /// Copies `bytes` bytes from rank `root`'s `buffer` into every other rank's (MPI_Bcast).
  func broadcast(
    _ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int, category: CollectiveCategory)

  /// Gathers `bytes` bytes from every rank into `receive`, which holds `size · bytes` bytes:
  /// rank r's contribution lands at offset r·bytes on every rank (MPI_Allgather).
  ///
  /// Meant for a few bytes per rank, such as checksums to compare.
  func allGather(
    _ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer,
    category: CollectiveCategory)

  /// Returns once every rank has called it (MPI_Barrier).
  func barrier(category: CollectiveCategory)

  /// Starts summing `buffer[0 ..< count]` over all ranks in place and returns at once.
  ///
  /// `MPICommunicator` hands it to a background thread that runs a blocking MPI_Allreduce while
  /// the caller computes (or, without MPI_THREAD_MULTIPLE, starts an MPI_Iallreduce). Started
  /// reductions complete in the order they were started, and every rank must start the same
  /// reductions in the same order. The buffer must stay allocated and untouched until `wait`
  /// returns for the result. Every started reduction must be waited for, on every rank, before
  /// `finalize`.
  ///
  /// Accounted as one call of `count` Floats; its seconds are the caller's: the time `wait`
  /// blocks (and, for MPI_Iallreduce, the time inside MPI_Iallreduce and MPI_Test), not the
  /// background thread's.
  func startAllReduceSum(
    _ buffer: UnsafeMutablePointer<Float>, count: Int, category: CollectiveCategory
  ) -> PendingReduction

  /// Tells whether a started reduction has completed; never blocks.
  ///
  /// For an MPI_Iallreduce this is MPI_Test, which also moves it forward: OpenMPI progresses
  /// non-blocking collectives only inside MPI calls, so testing now and then while computing
  /// (say, after each layer's backward) is what makes them overlap. A reduction on the
  /// background thread needs no help.
  func testCompletion(_ reduction: PendingReduction) -> Bool

  /// Returns when a started reduction has completed and its buffer holds the sums (asleep on
  /// the background thread's completion, or MPI_Wait). Waiting again for a completed
  /// reduction returns at once.
  func wait(_ reduction: PendingReduction)

  /// Ends the whole job: prints `message` on standard error (prefixed `rank N: ` on ranks other
  /// than 0) and exits every rank with `code` (MPI_Abort).
  func abort(message: String, code: Int32) -> Never

  /// Leaves the job cleanly (MPI_Finalize); call it once, on every rank, after the last
  /// collective.
  func finalize()
}

/// A non-blocking all-reduce started by `Communicator.startAllReduceSum`, to pass to `wait`.
public final class PendingReduction {
  /// The category the reduction is accounted under.
  public let category: CollectiveCategory
  /// The number of Floats being summed.
  public let count: Int
  /// True once `wait` (or a successful `testCompletion`) has completed the reduction.
  public internal(set) var isCompleted: Bool
  /// The MPI request, as an opaque handle; nil for reductions that complete at once or run
  /// on a background thread.
  var request: OpaquePointer?
  /// The reduction's ticket on the communicator's background `ReductionThread`, or nil.
  let ticket: Int?
  /// Its number among the main thread's collectives, for the watchdog (MPI_Iallreduce only).
  let number: Int

  init(
    category: CollectiveCategory, count: Int, request: OpaquePointer?, ticket: Int? = nil,
    number: Int = 0
  ) {
    self.category = category
    self.count = count
    self.request = request
    self.ticket = ticket
    self.number = number
    self.isCompleted = request == nil && ticket == nil
  }

  /// Whether the reduction runs on a background thread, progressing while the caller computes
  /// without any MPI call from the caller.
  public var runsInBackground: Bool { ticket != nil }
}

extension Communicator {
  /// True on rank 0, the rank that prints and writes files.
  public var isRoot: Bool { rank == 0 }

  /// Replaces every element of `values` with its sum over all ranks.
  public func allReduceSum(_ values: inout [Float], category: CollectiveCategory) {
    let count = values.count
    values.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      allReduceSum(base, count: count, category: category)
    }
  }

  /// Replaces every element of `values` with its sum over all ranks, in double precision.
  public func allReduceSum(_ values: inout [Double], category: CollectiveCategory) {
    let count = values.count
    values.withUnsafeMutableBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      allReduceSum(base, count: count, category: category)
    }
  }

  /// Copies rank `root`'s `values` into every other rank's; all ranks pass the same count.
  public func broadcast<T: BitwiseCopyable>(
    _ values: inout [T], root: Int, category: CollectiveCategory
  ) {
    let bytes = values.count * MemoryLayout<T>.stride
    values.withUnsafeMutableBytes { buffer in
      guard let base = buffer.baseAddress else { return }
      broadcast(base, bytes: bytes, root: root, category: category)
    }
  }

  /// Every rank's `values` (all ranks pass the same count), indexed by rank.
  ///
  /// For example, comparing parameter checksums: `allGather([checksum], category: .control)`
  /// returns `[[c0], [c1], ...]` on every rank.
  public func allGather<T: BitwiseCopyable>(_ values: [T], category: CollectiveCategory) -> [[T]] {
    let count = values.count
    let bytes = count * MemoryLayout<T>.stride
    // Every rank passes the same count, so all skip the call together.
    guard count > 0 else { return Array(repeating: [], count: size) }
    let flat = [T](unsafeUninitializedCapacity: count * size) { receive, initialized in
      values.withUnsafeBytes { send in
        guard let sendBase = send.baseAddress, let receiveBase = receive.baseAddress else {
          return
        }
        allGather(
          sendBase, bytes: bytes, into: UnsafeMutableRawPointer(receiveBase), category: category)
      }
      initialized = count * size
    }
    return (0..<size).map { Array(flat[$0 * count..<($0 + 1) * count]) }
  }
}
