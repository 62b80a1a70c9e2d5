import Support

#if canImport(Glibc)
  import Glibc
#endif

/// One worker alone: rank 0 of 1, for plain runs and for tests of non-distributed code.
///
/// The sum over one rank is the rank's own values, so all-reduces, broadcasts and barriers
/// leave buffers as they are, and an all-gather copies the send buffer into the receive
/// buffer. Each collective is still counted in `accounting` (one call, the bytes MPI would
/// have been given, zero seconds), so the counters of a 1-worker run are those of N workers.
public final class SingleProcessCommunicator: Communicator {
  public let accounting = CollectiveAccounting()
  /// Never fires: one worker's collectives complete at once.
  public let watchdog = CollectiveWatchdog()

  public init() {}

  public var rank: Int { 0 }
  public var size: Int { 1 }

  public func allReduceSum(
    _ buffer: UnsafeMutablePointer<Float>, count: Int, category: CollectiveCategory
  ) {
    accounting.record(category, bytes: count * MemoryLayout<Float>.stride, seconds: 0)
  }

  public func allReduceSum(
    _ buffer: UnsafeMutablePointer<Double>, count: Int, category: CollectiveCategory
  ) {
    accounting.record(category, bytes: count * MemoryLayout<Double>.stride, seconds: 0)
  }

  public func broadcast(
    _ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int, category: CollectiveCategory
  ) {
    guard root == 0 else {
      abort(message: "broadcast from root \(root), but the only rank is 0", code: 1)
    }
    accounting.record(category, bytes: bytes, seconds: 0)
  }

  public func allGather(
    _ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer,
    category: CollectiveCategory
  ) {
    if bytes > 0, UnsafeRawPointer(receive) != send {
      receive.copyMemory(from: send, byteCount: bytes)
    }
    accounting.record(category, bytes: bytes, seconds: 0)
  }

  public func barrier(category: CollectiveCategory) {
    accounting.record(category, bytes: 0, seconds: 0)
  }

  public func startAllReduceSum(
    _ buffer: UnsafeMutablePointer<Float>, count: Int, category: CollectiveCategory
  ) -> PendingReduction {
    accounting.record(category, bytes: count * MemoryLayout<Float>.stride, seconds: 0)
    return PendingReduction(category: category, count: count, request: nil)
  }

  public func testCompletion(_ reduction: PendingReduction) -> Bool { true }

  public func wait(_ reduction: PendingReduction) {}

  public func abort(message: String, code: Int32) -> Never {
    writeErrorLine(message)
    exit(code)
  }

  public func finalize() {}
}
