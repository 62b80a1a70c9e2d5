import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Whether this process has decided that the job ends (a collective outlasted
/// `distributed.timeout_s`; the watchdog is ending the job with MPI_Abort), and what its threads
/// do from then on: nothing. A thread that would complete a collective or start writing a file
/// parks until the abort ends the process, and the abort waits for the file writes already
/// under way.
///
/// Why: ending a job takes time. mpirun sends every rank SIGCONT and SIGTERM, and SIGKILL
/// `odls_base_sigkill_timeout` seconds later; a rank stopped by SIGSTOP wakes up, completes the
/// collective its peers waited in, and they would go on training: measured before this existed,
/// 4 of 20 runs with a SIGSTOPped rank 1 and `checkpoint_every = 1` logged the step the
/// timeout line names and were killed in the middle of its checkpoint, leaving `NAME.tmp-PID`.
///
/// ```
/// decide() → parkIfEnding() never returns → awaitWritesInFlight() → MPI_Abort
/// ```
public enum JobEnding {
  private static let decided = Atomic<Bool>(false)
  /// File writes (`AtomicFile`, `AppendFile`) begun and not yet finished.
  private static let writesInFlight = Atomic<Int>(0)

  /// Marks the job as ending; from now on `parkIfEnding` never returns.
  public static func decide() { decided.store(true, ordering: .sequentiallyConsistent) }

  /// Whether `decide` was called.
  private static var isDecided: Bool { decided.load(ordering: .sequentiallyConsistent) }

  /// Returns at once unless the job is ending; then parks.
  public static func parkIfEnding() {
    if isDecided { park() }
  }

  /// Sleeps until the process is ended.
  private static func park() -> Never {
    while true { sleep(3600) }
  }

  /// Runs `write`, one file write that the job's end waits for; parks first if the job is
  /// already ending, so no write begins after the decision.
  public static func writing<T>(_ write: () throws -> T) rethrows -> T {
    // Counted before the check: `decide` then `awaitWritesInFlight` either sees this write or
    // is seen by the check.
    writesInFlight.add(1, ordering: .sequentiallyConsistent)
    if isDecided {
      writesInFlight.subtract(1, ordering: .sequentiallyConsistent)
      park()
    }
    defer { writesInFlight.subtract(1, ordering: .sequentiallyConsistent) }
    return try write()
  }

  /// Waits, up to `seconds`, until no file write is under way: the writes begun before the
  /// decision finish (a write stuck longer, on a hung file system, is abandoned to the abort).
  ///
  /// - Returns: whether every write finished.
  @discardableResult
  public static func awaitWritesInFlight(seconds: Double) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while writesInFlight.load(ordering: .sequentiallyConsistent) > 0 {
      if monotonicSeconds() >= deadline { return false }
      usleep(1000)
    }
    return true
  }
}
