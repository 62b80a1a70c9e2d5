import Foundation

/// Word that a rank stopped on a signal with a checkpoint, left for the script that launched it.
///
/// A rank stopped that way exits with `TrainingSession.preemptedExitCode` (75), and `mpirun`
/// reports its ranks' status, unless it was signalled itself: then it exits 1 whatever they
/// returned. A terminal's Ctrl-C, a scheduler cancelling a job step, or `kill -- -PGID` signal
/// the whole process group, `mpirun` included. So `launch/ddp` names a fresh directory in
/// `DDP_STOP_RECORD`; each rank that stops with a checkpoint creates an empty file `rank-R`
/// there, and the script exits 75 when every rank of the job has left one.
public enum StopRecord {
  /// The environment variable that names the directory.
  public static let environmentKey = "DDP_STOP_RECORD"

  /// Creates `rank-R` in the directory the environment names; nothing without one. Best effort:
  /// a record that cannot be written leaves `mpirun`'s own status to the script.
  public static func write(
    rank: Int, environment: [String: String] = ProcessInfo.processInfo.environment
  ) {
    guard let directory = environment[environmentKey], !directory.isEmpty else { return }
    let path = URL(fileURLWithPath: directory).appendingPathComponent("rank-\(rank)").path
    _ = FileManager.default.createFile(atPath: path, contents: nil)
  }
}
