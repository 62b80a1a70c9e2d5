internal import CMPI

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
    let start = WallClock.now()
    let code = MPI_Allreduce(cmpi_in_place(), buffer, n, type, cmpi_sum(), world)
    let seconds = WallClock.now() - start
    check(code, "MPI_Allreduce")
    accounting.record(category, bytes: count * MemoryLayout<T>.stride, seconds: seconds)
  }

  public func broadcast(
    _ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int, category: CollectiveCategory
  ) {
    let n = mpiCount(bytes, "MPI_Bcast")
    let start = WallClock.now()
    let code = MPI_Bcast(buffer, n, cmpi_byte(), Int32(clamping: root), world)
    let seconds = WallClock.now() - start
    check(code, "MPI_Bcast")
    accounting.record(category, bytes: bytes, seconds: seconds)
  }

  public func allGather(
    _ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer,
    category: CollectiveCategory
  ) {
    let n = mpiCount(bytes, "MPI_Allgather")
    let start = WallClock.now()
    let code = MPI_Allgather(send, n, cmpi_byte(), receive, n, cmpi_byte(), world)
    let seconds = WallClock.now() - start
    check(code, "MPI_Allgather")
    accounting.record(category, bytes: bytes, seconds: seconds)
  }

  public func barrier(category: CollectiveCategory) {
    precondition(!isFinalized, "MPI_Barrier after MPI_Finalize")
    let start = WallClock.now()
    let code = MPI_Barrier(world)
    let seconds = WallClock.now() - start
    check(code, "MPI_Barrier")
    accounting.record(category, bytes: 0, seconds: seconds)
  }

  public func startAllReduceSum(
    _ buffer: UnsafeMutablePointer<Float>, count: Int, category: CollectiveCategory
  ) -> PendingReduction {
    let n = mpiCount(count, "MPI_Iallreduce")
    var request: MPI_Request? = cmpi_request_null()
    let start = WallClock.now()
    let code = MPI_Iallreduce(
      cmpi_in_place(), buffer, n, cmpi_float(), cmpi_sum(), world, &request)
    let seconds = WallClock.now() - start
    check(code, "MPI_Iallreduce")
    accounting.record(category, bytes: count * MemoryLayout<Float>.stride, seconds: seconds)
    return PendingReduction(category: category, count: count, request: request)
  }

  public func testCompletion(_ reduction: PendingReduction) -> Bool {
    guard !reduction.isCompleted else { return true }
    var request: MPI_Request? = reduction.request
    var flag: Int32 = 0
    let start = WallClock.now()
    let code = MPI_Test(&request, &flag, cmpi_status_ignore())
    let seconds = WallClock.now() - start
    check(code, "MPI_Test")
    accounting.addWaiting(reduction.category, seconds: seconds)
    reduction.request = request
    if flag != 0 { reduction.isCompleted = true }
    return reduction.isCompleted
  }

  public func wait(_ reduction: PendingReduction) {
    guard !reduction.isCompleted else { return }
    var request: MPI_Request? = reduction.request
    let start = WallClock.now()
    let code = MPI_Wait(&request, cmpi_status_ignore())
    let seconds = WallClock.now() - start
    check(code, "MPI_Wait")
    accounting.addWaiting(reduction.category, seconds: seconds)
    reduction.request = request
    reduction.isCompleted = true
  }
}
