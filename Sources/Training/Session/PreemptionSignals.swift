import Support

#if canImport(Glibc)
  import Glibc
#endif

/// SIGTERM and SIGINT as a request to stop after the current step with a checkpoint (as batch
/// schedulers preempt jobs): the handler only records the signal; the training loop agrees
/// over the workers to stop, finishes its step, writes a checkpoint and exits with
/// `TrainingSession.preemptedExitCode` (75). A second signal ends the process at once by the
/// signal's default action, after one line on standard error.
///
/// Under `mpirun`, mpirun forwards SIGTERM and SIGINT to every rank and kills ranks still
/// running `odls_base_sigkill_timeout` seconds later (OpenMPI's default; raising it would keep a job
/// whose worker was SIGKILLed alive that long, its other ranks stuck in a collective).
public enum PreemptionSignals {
  /// The signal received, or 0. Written only by the handler, read by the training loop.
  public nonisolated(unsafe) static var received: sig_atomic_t = 0

  /// Whether this process prints the line of a second signal (rank 0, or no mpirun).
  nonisolated(unsafe) static var reports = true

  /// Installs the handlers (idempotent). A second SIGTERM or SIGINT prints one line (rank 0)
  /// and ends the process at once by the signal's default action, without a checkpoint.
  public static func install() {
    reports = isLaunchedRankZero
    // A closed standard output (`ddp train ... | head -1`) stops the run as SIGTERM does,
    // instead of killing it mid-step: writes then fail with EPIPE, and later SIGPIPEs are
    // ignored.
    signal(SIGPIPE) { _ in
      if PreemptionSignals.received == 0 { PreemptionSignals.received = SIGPIPE }
    }
    for signalNumber in [SIGTERM, SIGINT] {
      signal(signalNumber) { number in
        guard PreemptionSignals.received != 0 else {
          PreemptionSignals.received = sig_atomic_t(number)
          return
        }
        if PreemptionSignals.reports {
          // Only async-signal-safe calls here: write(2) of a static string, then the default.
          let line: StaticString =
            "ddp: a second signal: stopping at once, without a checkpoint of this step\n"
          _ = write(STDERR_FILENO, line.utf8Start, line.utf8CodeUnitCount)
        }
        signal(number, SIG_DFL)
        raise(number)
      }
    }
  }

  /// Ignores further SIGTERM and SIGINT: the run has stopped with its checkpoint and is leaving
  /// (mpirun sends SIGTERM to the ranks still running once one exits with a non-zero code).
  public static func ignoreFurtherSignals() {
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
  }

  /// The name of the signal received, or nil.
  public static var receivedName: String? {
    switch received {
    case 0: nil
    case SIGTERM: "SIGTERM"
    case SIGINT: "SIGINT"
    case SIGPIPE: "SIGPIPE (standard output was closed)"
    default: "signal \(received)"
    }
  }
}
