internal import CMPI
import Support

#if canImport(Glibc)
  import Glibc
#endif

extension MPICommunicator {
  /// Runs one collective of the main thread under the watchdog: first an MPI_Ibarrier, polled
  /// by `awaitCompletion` until every rank has arrived, then the blocking collective, which
  /// then completes at once; `mainSlot` tells the monitor what the thread waits in meanwhile.
  ///
  /// Why not the non-blocking collective itself, polled: OpenMPI moves one forward only inside
  /// an MPI call, so each of its rounds waits for the sleeping peer's next test; measured with
  /// `ddp bench allreduce` (2 ranks, one host), a polled MPI_Iallreduce took about 100 µs from
  /// 1 KiB up, against about 1.3 µs for the barrier and the blocking call. A rank that stops
  /// inside the blocking call leaves its peers spinning in it until the monitor ends the job.
  /// The thread's CPU seconds inside (the polling and MPI's spinning) go to
  /// `accounting.cpuSecondsInside`, so that they are not counted as the step's compute.
  func watched(
    _ kind: WatchedCollective.Kind, _ category: CollectiveCategory, _ function: String,
    blocking: () -> Int32
  ) {
    mainCollectives += 1
    let cpuStart = threadCPUSeconds()
    defer { accounting.addCPUInside(seconds: threadCPUSeconds() - cpuStart) }
    if !blockingCollectives {
      mainSlot.enter(WatchedCollective(kind: kind, category: category, number: mainCollectives))
      var request: MPI_Request? = cmpi_request_null()
      check(MPI_Ibarrier(world, &request), "MPI_Ibarrier")
      awaitCompletion(&request)
    }
    check(blocking(), function)
    mainSlot.leave()
    JobEnding.parkIfEnding()
  }

  /// Returns when `request` has completed, testing it (MPI_Test) in a loop: first back to back
  /// for `spinSeconds` (ranks that arrive together never sleep), then asleep between tests,
  /// the sleep doubling from `firstPauseMicroseconds` to `longestPauseMicroseconds`, so a rank
  /// waiting for a slow or stopped peer takes well under 1 % of a core instead of spinning on
  /// all of it, and notices within 1 ms when the peer arrives. The monitor (see `watched`)
  /// keeps the deadline. Once the job is ending (``JobEnding``) it never returns.
  func awaitCompletion(_ request: inout MPI_Request?) {
    defer { JobEnding.parkIfEnding() }
    var done: Int32 = 0
    let start = monotonicSeconds()
    repeat {
      check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test")
      if done != 0 { return }
    } while monotonicSeconds() - start < Self.spinSeconds
    var pause = Self.firstPauseMicroseconds
    while true {
      usleep(pause)
      pause = min(2 * pause, Self.longestPauseMicroseconds)
      check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test")
      if done != 0 { return }
    }
  }

  /// Seconds `awaitCompletion` tests back to back before it first sleeps: hundreds of times a
  /// barrier between ranks that are both ready (about a microsecond on one host), and longer
  /// than a busy machine's usual scheduling delay. With 50 µs, `ddp bench allreduce` on a
  /// loaded 2-core host fell, in 3 runs of 5, into a cycle where every call cost ~146 µs: the
  /// rank that slept woke late, so it arrived late at the next collective, where the other
  /// outwaited its spin and slept in turn. 500 µs breaks that cycle; a rank waiting for a
  /// stopped peer still spends only that once per collective.
  static let spinSeconds = 500e-6
  /// The first and the longest sleep between tests: the first about what a test and a
  /// wake-up cost; the longest bounds how late a rank notices its peers arrived.
  static let firstPauseMicroseconds: UInt32 = 4
  static let longestPauseMicroseconds: UInt32 = 1000
  /// The timer slack of a waiting thread, so its short sleeps end on time (Linux's default,
  /// 50 µs, would make every short sleep 50 µs).
  static let timerSlackNanoseconds: UInt = 1000
}
