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
  /// Runs one collective of the main thread under the watchdog: first an MPI_Ibarrier, polled
  /// by `awaitCompletion` until every rank has arrived, then the blocking collective, which
  /// then completes at once.
  ///
  /// Why not the non-blocking collective itself, polled: OpenMPI moves one forward only inside
  /// an MPI call, so each of its rounds waits for the sleeping peer's next test; measured with
  /// `ddp bench allreduce` (2 ranks, one host), a polled MPI_Iallreduce took about 100 µs from
  /// 1 KiB up, against about 1.3 µs for the barrier and the blocking call (README, "Failure
  /// behaviour"). The cost: a rank that stops inside the blocking call, after it arrived, is
  /// not caught (the others spin in it); the window is one collective's transfer.
  func watched(
    _ kind: WatchedCollective.Kind, _ category: CollectiveCategory, _ function: String,
    blocking: () -> Int32
  ) {
    mainCollectives += 1
    if !blockingCollectives {
      let collective = WatchedCollective(kind: kind, category: category, number: mainCollectives)
      var request: MPI_Request? = cmpi_request_null()
      check(MPI_Ibarrier(world, &request), "MPI_Ibarrier")
      awaitCompletion(&request, of: collective)
    }
    check(blocking(), function)
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

  /// Seconds `awaitCompletion` tests back to back before it first sleeps: many times a barrier
  /// between ranks that are both ready (about a microsecond on one host), so ranks arriving
  /// together never sleep.
  static let spinSeconds = 50e-6
  /// The first and the longest sleep between tests: the first about what a test and a
  /// wake-up cost; the longest bounds how late a rank notices its peers arrived.
  static let firstPauseMicroseconds: UInt32 = 4
  static let longestPauseMicroseconds: UInt32 = 1000
  /// The timer slack of a waiting thread, so its short sleeps end on time (Linux's default,
  /// 50 µs, would make every short sleep 50 µs).
  static let timerSlackNanoseconds: UInt = 1000
}
