#if canImport(Glibc)
  import Glibc
#endif

/// SIGTERM and SIGINT as a request to stop after the current step with a checkpoint (as batch
/// schedulers preempt jobs): the handler only records the signal; the training loop agrees
/// over the workers to stop, finishes its step, writes a checkpoint and exits cleanly. A second
/// signal of the same kind ends the process at once (the default action is restored).
///
/// Under `mpirun`, mpirun forwards SIGTERM and SIGINT to every rank and kills ranks still
/// running `odls_base_sigkill_timeout` seconds later (OpenMPI's default; raising it would keep a job
/// whose worker was SIGKILLed alive that long, its other ranks stuck in a collective).
public enum PreemptionSignals {
  /// The signal received, or 0. Written only by the handler, read by the training loop.
  public nonisolated(unsafe) static var received: sig_atomic_t = 0

  /// Installs the handlers (idempotent).
  public static func install() {
    for signalNumber in [SIGTERM, SIGINT] {
      signal(signalNumber) { number in
        PreemptionSignals.received = sig_atomic_t(number)
        signal(number, SIG_DFL)
      }
    }
  }

  /// The name of the signal received, or nil.
  public static var receivedName: String? {
    switch received {
    case 0: nil
    case SIGTERM: "SIGTERM"
    case SIGINT: "SIGINT"
    default: "signal \(received)"
    }
  }
}
