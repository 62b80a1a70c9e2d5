internal import CMPI
import Support

#if canImport(Glibc)
  import Glibc
#endif

extension MPICommunicator {
  public func allReduceSum(
    _ buffer: UnsafeMutablePointer<Float>, count: Int, category: CollectiveCategory
  ) {
    allReduceSum(buffer, count: count, type: cmpi_float(), category: category)
  }

  public func allReduceSum(
    _ buffer: UnsafeMutablePointer<Double>, count: Int, category: CollectiveCategory
  ) {
    allReduceSum(buffer, count: count, type: cmpi_double(), category: category)
  }

  /// In-place blocking MPI_Allreduce (sum) of `count` elements of `T`, MPI datatype `type`.
  private func allReduceSum<T>(
    _ buffer: UnsafeMutablePointer<T>, count: Int, type: MPI_Datatype, category: CollectiveCategory
  ) {
    let n = mpiCount(count, "MPI_Allreduce")
    let start = monotonicSeconds()
    watched(.allReduce, category, "MPI_Allreduce") {
      MPI_Allreduce(cmpi_in_place(), buffer, n, type, cmpi_sum(), world)
    }
    let seconds = monotonicSeconds() - start
    accounting.record(category, bytes: count * MemoryLayout<T>.stride, seconds: seconds)
  }

  public func broadcast(
    _ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int, category: CollectiveCategory
  ) {
    let n = mpiCount(bytes, "MPI_Bcast")
    let start = monotonicSeconds()
    let root = Int32(clamping: root)
    watched(.broadcast, category, "MPI_Bcast") { MPI_Bcast(buffer, n, cmpi_byte(), root, world) }
    let seconds = monotonicSeconds() - start
    accounting.record(category, bytes: bytes, seconds: seconds)
  }

  public func allGather(
    _ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer,
    category: CollectiveCategory
  ) {
    let n = mpiCount(bytes, "MPI_Allgather")
    let start = monotonicSeconds()
    watched(.allGather, category, "MPI_Allgather") {
      MPI_Allgather(send, n, cmpi_byte(), receive, n, cmpi_byte(), world)
    }
    let seconds = monotonicSeconds() - start
    accounting.record(category, bytes: bytes, seconds: seconds)
  }

  public func barrier(category: CollectiveCategory) {
    precondition(!isFinalized, "MPI_Barrier after MPI_Finalize")
    let start = monotonicSeconds()
    watched(.barrier, category, "MPI_Barrier") { MPI_Barrier(world) }
    let seconds = monotonicSeconds() - start
    accounting.record(category, bytes: 0, seconds: seconds)
  }

  public func startAllReduceSum(
    _ buffer: UnsafeMutablePointer<Float>, count: Int, category: CollectiveCategory
  ) -> PendingReduction {
    let n = mpiCount(count, "MPI_Allreduce")
    let bytes = count * MemoryLayout<Float>.stride
    if let reductionThread,
      let ticket = reductionThread.submit(.init(buffer: buffer, count: n, category: category))
    {
      // A hand-off that never waits on communication: only `wait` counts seconds (the thread
      // may take this core the moment it is woken; that shows in step time, not here).
      accounting.record(category, bytes: bytes, seconds: 0)
      return PendingReduction(category: category, count: count, request: nil, ticket: ticket)
    }
    var request: MPI_Request? = cmpi_request_null()
    let start = monotonicSeconds()
    let code = MPI_Iallreduce(
      cmpi_in_place(), buffer, n, cmpi_float(), cmpi_sum(), world, &request)
    let seconds = monotonicSeconds() - start
    check(code, "MPI_Iallreduce")
    accounting.record(category, bytes: bytes, seconds: seconds)
    mainCollectives += 1
    return PendingReduction(
      category: category, count: count, request: request, number: mainCollectives)
  }

  public func testCompletion(_ reduction: PendingReduction) -> Bool {
    guard !reduction.isCompleted else { return true }
    if let ticket = reduction.ticket, let reductionThread {
      reduction.isCompleted = reductionThread.isCompleted(ticket)
      return reduction.isCompleted
    }
    var request: MPI_Request? = reduction.request
    var flag: Int32 = 0
    let start = monotonicSeconds()
    let code = MPI_Test(&request, &flag, cmpi_status_ignore())
    let seconds = monotonicSeconds() - start
    check(code, "MPI_Test")
    accounting.addWaiting(reduction.category, seconds: seconds)
    reduction.request = request
    if flag != 0 {
      // A reduction that completes once the job is ending does not let this rank go on.
      JobEnding.parkIfEnding()
      reduction.isCompleted = true
    }
    return reduction.isCompleted
  }

  public func wait(_ reduction: PendingReduction) {
    guard !reduction.isCompleted else { return }
    let start = monotonicSeconds()
    let cpuStart = threadCPUSeconds()
    defer { accounting.addCPUInside(seconds: threadCPUSeconds() - cpuStart) }
    if let ticket = reduction.ticket, let reductionThread {
      // The reduction thread's own slot tells the monitor what it waits in.
      reductionThread.wait(ticket)
    } else {
      var request: MPI_Request? = reduction.request
      if blockingCollectives {
        check(MPI_Wait(&request, cmpi_status_ignore()), "MPI_Wait")
      } else {
        mainSlot.enter(
          WatchedCollective(
            kind: .allReduce, category: reduction.category, number: reduction.number))
        awaitCompletion(&request)
        mainSlot.leave()
      }
      reduction.request = request
    }
    accounting.addWaiting(reduction.category, seconds: monotonicSeconds() - start)
    reduction.isCompleted = true
  }

  /// The reduction thread's all-reduce of one job, on `background`: once every rank has
  /// queued it, a blocking MPI_Allreduce.
  ///
  /// The thread first waits for the other ranks in an MPI_Ibarrier polled every
  /// `arrivalPollMicroseconds`, asleep in between (`backgroundSlot` tells the watchdog's
  /// monitor what it waits in), and only then enters MPI_Allreduce, which
  /// spins until it completes: a rank that reaches a bucket before the others would otherwise
  /// spin for the whole difference, taking a core from the computation, possibly of the rank
  /// it waits for. (Measured without the barrier: the same tokens/s, and less waiting on
  /// gradients only because the wait for a slower rank moves into that uncounted spin.)
  func reduceInBackground(_ job: ReductionThread.Job) {
    guard let background else { return }
    var request: MPI_Request? = cmpi_request_null()
    check(MPI_Ibarrier(background, &request), "MPI_Ibarrier")
    var arrived: Int32 = 0
    backgroundSlot.enter(
      WatchedCollective(
        kind: .gradientBucket, category: job.category, number: job.ticket + 1,
        onBackground: true))
    while true {
      check(MPI_Test(&request, &arrived, cmpi_status_ignore()), "MPI_Test")
      if arrived != 0 { break }
      usleep(Self.arrivalPollMicroseconds)
    }
    check(
      MPI_Allreduce(cmpi_in_place(), job.buffer, job.count, cmpi_float(), cmpi_sum(), background),
      "MPI_Allreduce")
    backgroundSlot.leave()
    JobEnding.parkIfEnding()
  }

  /// Microseconds the reduction thread sleeps between tests of the other ranks' arrival: short
  /// beside a bucket's all-reduce (≥ 0.5 ms for the 3 MB of a bench.toml block), long beside
  /// the few microseconds a test and a wake-up cost.
  static let arrivalPollMicroseconds: UInt32 = 50
}
