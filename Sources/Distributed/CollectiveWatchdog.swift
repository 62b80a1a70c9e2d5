import Synchronization

/// The deadline of every collective wait, and what the line names when one is missed.
///
/// A rank that stops outside MPI (SIGSTOP, a stuck file system, an endless loop) would leave
/// the others waiting in their next collective for as long as it lasts. So `MPICommunicator`
/// waits for each collective asleep between tests (`MPICommunicator+Waiting.swift`), each
/// waiting thread says what it waits in (`WaitSlot`), and a `CollectiveMonitor` thread gives
/// up after `timeoutSeconds` (`distributed.timeout_s`): the ranks still answering agree who is
/// missing (`RollCall`), the lowest of them prints one line naming the step, the collective and
/// the missing ranks, and MPI_Abort ends the job with exit code 1. Checkpoints are written
/// whole or not at all (`AtomicFile`), so the newest one stays intact and `--resume`
/// continues from it.
///
/// PyTorch's defaults are 30 minutes (gloo) and 10 minutes (NCCL); `defaultTimeoutSeconds`
/// is shorter because a step here lasts milliseconds to seconds, and a job stuck for 5 minutes
/// has already cost more than anything a longer wait could save.
///
/// Both fields are read by the monitor thread while the main thread writes them, hence the
/// atomics; they are written once per step and read every `RollCall.checkEverySeconds`.
public final class CollectiveWatchdog: Sendable {
  /// 5 minutes, as `DistributedConfig.defaultTimeoutSeconds` (this module cannot see Config):
  /// the timeout of the collectives made before the config is read.
  public static let defaultTimeoutSeconds = 300.0
  /// The longest timeout this class keeps; `distributed.timeout_s` is validated against the
  /// same day.
  public static let largestTimeoutSeconds = 86_400.0

  private let timeoutMicroseconds = Atomic<Int>(Int(defaultTimeoutSeconds * 1e6))
  private let currentStep = Atomic<Int>(0)

  public init() {}

  /// Seconds a rank waits for a collective to complete before the job ends.
  public var timeoutSeconds: Double {
    get { Double(timeoutMicroseconds.load(ordering: .relaxed)) / 1e6 }
    set {
      let clamped = min(max(newValue, 1e-6), Self.largestTimeoutSeconds)
      timeoutMicroseconds.store(Int(clamped * 1e6), ordering: .relaxed)
    }
  }

  /// The training step in progress (1, 2, …), which the timeout line names; 0 before the
  /// first step (loading, checking, broadcasting the parameters).
  public var step: Int {
    get { currentStep.load(ordering: .relaxed) }
    set { currentStep.store(newValue, ordering: .relaxed) }
  }

  /// "step 41", or "before the first step" for step 0.
  var stepDescription: String { Self.describe(step: step) }

  static func describe(step: Int) -> String {
    step > 0 ? "step \(step)" : "before the first step"
  }
}
