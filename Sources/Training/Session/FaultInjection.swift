import Config
import Foundation
import Models

/// Faults a test can ask a run to suffer, through environment variables, so the failure paths
/// run in real processes at a chosen moment. Unset (the normal case), nothing changes.
///
/// - `DDP_FAULT_CHECKPOINT_PAUSE=STEP:SECONDS`: rank 0 sleeps in the middle of writing the
///   checkpoint of step STEP (after the parameters, before the moments), so a test can kill it
///   there.
/// - `DDP_FAULT_DIVERGE=RANK:STEP`: after optimizer step STEP, rank RANK nudges one parameter
///   by one ulp, as a silent hardware fault would; `distributed.check_every` must catch it.
/// - `DDP_FAULT_NONFINITE=STEP`: every rank reports the loss of optimizer step STEP as NaN, as
///   a run that blew up would (what `ddp experiment` must record as diverged, not as an error).
/// - `DDP_FAULT_STALL=RANK:STEP:SECONDS`: before step STEP, rank RANK sleeps SECONDS outside
///   MPI, as a rank stuck on a file system or stopped by SIGSTOP would; the watchdog
///   (`distributed.timeout_s`) must end the job. With `signal` for SECONDS, the rank sleeps
///   until it receives SIGTERM or SIGINT and then carries on at once, as a SIGSTOPped rank does
///   when mpirun ends the job (it sends SIGCONT and SIGTERM): the moment when the ranks that
///   decided to end the job must no longer complete a collective with it.
/// - `DDP_FAULT_ABORT_DELAY=SECONDS` (read by `RollCall` in Distributed): the rank that prints
///   a timeout's line waits SECONDS before it aborts the job, so a test can wake the missing
///   rank in between.
public struct FaultInjection: Sendable {
  public var checkpointPause: (step: Int, seconds: Double)?
  public var divergence: (rank: Int, step: Int)?
  public var nonFiniteStep: Int?
  /// `seconds` is infinite for `signal`: the stall lasts until a signal.
  public var stall: (rank: Int, step: Int, seconds: Double)?

  public static let fromEnvironment: FaultInjection = {
    let environment = ProcessInfo.processInfo.environment
    var faults = FaultInjection()
    if let text = environment["DDP_FAULT_CHECKPOINT_PAUSE"] {
      let parts = text.split(separator: ":")
      if parts.count == 2, let step = Int(parts[0]), let seconds = Double(parts[1]) {
        faults.checkpointPause = (step, seconds)
      }
    }
    if let text = environment["DDP_FAULT_DIVERGE"] {
      let parts = text.split(separator: ":").compactMap { Int($0) }
      if parts.count == 2 { faults.divergence = (parts[0], parts[1]) }
    }
    faults.nonFiniteStep = environment["DDP_FAULT_NONFINITE"].flatMap { Int($0) }
    if let text = environment["DDP_FAULT_STALL"] {
      let parts = text.split(separator: ":")
      if parts.count == 3, let rank = Int(parts[0]), let step = Int(parts[1]),
        let seconds = parts[2] == "signal" ? Double.infinity : Double(parts[2])
      {
        faults.stall = (rank, step, seconds)
      }
    }
    return faults
  }()

  /// Applies `DDP_FAULT_STALL` before `step` on `rank`.
  public func beforeStep(_ step: Int, rank: Int) {
    guard let stall, stall.rank == rank, stall.step == step else { return }
    guard stall.seconds.isInfinite else { return Thread.sleep(forTimeInterval: stall.seconds) }
    while PreemptionSignals.received == 0 { usleep(1000) }
  }

  /// The `afterGroup` hook of `Checkpoint.write` for the checkpoint of `step`, or nil.
  public func checkpointHook(step: Int) -> ((Int) -> Void)? {
    guard let pause = checkpointPause, pause.step == step else { return nil }
    return { group in if group == 0 { Thread.sleep(forTimeInterval: pause.seconds) } }
  }

  /// The step's figures as `DDP_FAULT_NONFINITE` makes them: the loss of step STEP is NaN.
  public func reported(_ stats: StepStatistics, step: Int) -> StepStatistics {
    guard nonFiniteStep == step else { return stats }
    var blownUp = stats
    blownUp.loss = .nan
    blownUp.nonFinite = true
    return blownUp
  }

  /// Applies `DDP_FAULT_DIVERGE` after `step` on `rank`.
  public func afterStep(_ step: Int, rank: Int, parameters: FlatTensors) {
    guard let divergence, divergence.rank == rank, divergence.step == step else { return }
    parameters.nudgeFirstByOneULP()
  }
}
