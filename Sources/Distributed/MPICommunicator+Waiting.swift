internal import CMPI
import Support

#if canImport(Glibc)
  import Glibc
#endif

/// A wait's deadline: `timeout` after it began, or sooner once the rank has joined a roll call.
struct WaitDeadline {
  var deadline: Double
  /// When to look at the roll call next.
  var nextLook: Double

  init(start: Double, timeout: Double) {
    deadline = start + timeout
    nextLook = start + RollCall.checkEverySeconds
  }
}

extension MPICommunicator {
  /// Runs one collective of the main thread under the watchdog: started non-blocking and polled
  /// by `awaitCompletion` up to `largestPolledBytes`; above that, an MPI_Ibarrier polled the
  /// same way, then the blocking call (OpenMPI's non-blocking collectives use slower algorithms
  /// than its tuned blocking ones on large buffers, and a barrier costs little beside those).
  ///
  /// - Parameters:
  ///   - start: starts the non-blocking collective, filling in its request.
  ///   - blocking: the blocking collective.
  func watched(
    _ kind: WatchedCollective.Kind, _ category: CollectiveCategory, bytes: Int,
    _ function: String, start: (UnsafeMutablePointer<MPI_Request?>) -> Int32,
    blocking: () -> Int32
  ) {
    mainCollectives += 1
    guard !blockingCollectives else {
      check(blocking(), function)
      return
    }
    let collective = WatchedCollective(kind: kind, category: category, number: mainCollectives)
    var request: MPI_Request? = cmpi_request_null()
    if bytes > Self.largestPolledBytes {
      check(MPI_Ibarrier(world, &request), "MPI_Ibarrier")
      awaitCompletion(&request, of: collective)
      check(blocking(), function)
    } else {
      check(start(&request), "MPI_I" + function.dropFirst("MPI_".count).lowercased())
      awaitCompletion(&request, of: collective)
    }
  }

  /// Returns when `request` has completed, testing it (MPI_Test) in a loop: first back to back
  /// for `spinSeconds` (a collective whose peers are ready completes within that), then asleep
  /// between tests, the sleep doubling from `firstPauseMicroseconds` to
  /// `longestPauseMicroseconds`, so a rank waiting for a slow or stopped peer takes well
  /// under 1 % of a core instead of spinning on all of it, and answers within 1 ms when the
  /// peer arrives. Past the watchdog's timeout the job ends (`checkDeadline`).
  func awaitCompletion(_ request: inout MPI_Request?, of collective: WatchedCollective) {
    var done: Int32 = 0
    let start = monotonicSeconds()
    repeat {
      check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test")
      if done != 0 { return }
    } while monotonicSeconds() - start < Self.spinSeconds
    var deadline = WaitDeadline(start: start, timeout: watchdog.timeoutSeconds)
    var pause = Self.firstPauseMicroseconds
    while true {
      usleep(pause)
      pause = min(2 * pause, Self.longestPauseMicroseconds)
      check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test")
      if done != 0 { return }
      checkDeadline(&deadline, waitingIn: collective)
    }
  }

  /// Every `RollCall.checkEverySeconds` of a wait, answers a roll call; past the deadline (or
  /// the roll call's grace once this rank joined one) ends the job with the watchdog's line.
  func checkDeadline(_ deadline: inout WaitDeadline, waitingIn collective: WatchedCollective) {
    let now = monotonicSeconds()
    guard now >= deadline.nextLook else { return }
    deadline.nextLook = now + RollCall.checkEverySeconds
    if let joined = rollCall.look(waitingIn: collective, step: watchdog.step) {
      deadline.deadline = min(deadline.deadline, joined + RollCall.graceSeconds)
    }
    if now >= deadline.deadline {
      rollCall.finish(
        waitingIn: collective, step: watchdog.step, timeout: watchdog.timeoutSeconds)
    }
  }

  /// Seconds `awaitCompletion` tests back to back before it first sleeps: several times a
  /// small all-reduce between ranks that are both ready (a few microseconds on one host).
  static let spinSeconds = 20e-6
  /// The first and the longest sleep between tests: the first about what a test and a
  /// wake-up cost; the longest bounds how late a rank notices its peers arrived.
  static let firstPauseMicroseconds: UInt32 = 4
  static let longestPauseMicroseconds: UInt32 = 1000
  /// The largest collective (bytes this rank sends) run as a non-blocking one; above it, an
  /// MPI_Ibarrier then the blocking call.
  static let largestPolledBytes = 64 << 10
  /// The timer slack of a waiting thread, so its short sleeps end on time (Linux's default,
  /// 50 µs, would make every short sleep 50 µs).
  static let timerSlackNanoseconds: UInt = 1000
}
