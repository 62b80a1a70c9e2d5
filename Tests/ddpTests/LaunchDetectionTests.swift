import Foundation
import TestSupport
import XCTest

/// Launchers other than OpenMPI's `mpirun`, as real processes. There is no Slurm here, so
/// `srun` is simulated by its environment:
///
/// - `srun --mpi=pmix`: mpirun starts the ranks (its daemon is the PMIx server, as
///   slurmstepd is under srun), and a wrapper removes every `OMPI_*` variable and sets what
///   srun sets (SLURM_JOB_ID, SLURM_STEP_ID, SLURM_NODELIST, SLURM_PROCID,
///   SLURM_STEP_NUM_TASKS). OpenMPI then sees a direct launch (its Slurm "schizo" component)
///   and joins the ranks through PMIx alone, as under srun; ddp sees only PMIx and Slurm.
///   Not tested: Slurm's own PMIx plugin and slurmstepd.
/// - `srun` without an MPI plugin, a PMI-2 launcher, and a PMIx job MPI cannot reach: plain
///   processes with those variables.
final class LaunchDetectionTests: MPIJobTestCase {
  override class var workPrefix: String { "ddp-launch" }

  /// A script that runs its arguments as srun --mpi=pmix would: no OMPI_* variable, Slurm's.
  func srunLikeWrapper() throws -> String {
    let script = """
      #!/bin/sh
      for name in $(env | sed -n 's/^\\(OMPI_[A-Za-z0-9_]*\\)=.*/\\1/p'); do unset "$name"; done
      export SLURM_JOB_ID=1 SLURM_JOBID=1 SLURM_STEP_ID=0 SLURM_NODELIST=localhost
      export SLURM_PROCID="$PMIX_RANK" SLURM_STEP_NUM_TASKS=2 SLURM_NTASKS=2
      exec "$@"
      """
    let path = work.appendingPathComponent("srun-like").path
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return path
  }

  /// Two ranks that see only PMIx and Slurm variables train as one 2-worker job: one run
  /// folder, written by rank 0, whose summary says 2 workers.
  func testPMIxOnlyLaunchIsTwoWorkers() throws {
    let config = try writeSmallestRunConfig(in: work, steps: 3)
    let out = work.appendingPathComponent("run").path
    let outcome = try runMPI(
      ["-np", "2", try srunLikeWrapper(), ddpExecutable, "train", "--config", config, "--out", out])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(outcome.stdout.contains("2 workers"), outcome.stdout)
    let summary = try XCTUnwrap(
      JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as? [String: Any])
    XCTAssertEqual(summary["workers"] as? Int, 2)
  }

  /// `launch/ddp` on a terminal: rank 0's progress is one line redrawn in place (mpirun gives
  /// the ranks a pseudo-terminal either way; the script says when its own output is one).
  /// Piped, the same command prints plain lines and no escape sequence. `script` supplies the
  /// terminal.
  func testProgressIsRewrittenInPlaceUnderLaunchDDPOnATerminal() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
      throw XCTSkip("script (util-linux) is not installed")
    }
    let config = try writeSmallestRunConfig(in: work, steps: 40)
    let launcher = packageRoot.appendingPathComponent("launch/ddp").path
    let command = [launcher, "-np", "2", "train", "--config", config, "--out"]
    let redraw = "\r\u{1B}[K"
    let terminal = try runProcess(
      "/usr/bin/env",
      [
        "DDP_EXECUTABLE=\(ddpExecutable)", "/usr/bin/script", "-qec",
        (command + [work.appendingPathComponent("tty").path]).joined(separator: " "), "/dev/null",
      ])
    XCTAssertEqual(terminal.status, 0, terminal.stderr)
    XCTAssertTrue(terminal.stdout.contains(redraw + "step "), terminal.stdout)
    let piped = try runProcess(
      "/usr/bin/env",
      ["DDP_EXECUTABLE=\(ddpExecutable)"] + command + [work.appendingPathComponent("pipe").path])
    XCTAssertEqual(piped.status, 0, piped.stderr)
    XCTAssertFalse(piped.stdout.contains("\u{1B}"), piped.stdout)
    XCTAssertTrue(piped.stdout.contains("\nstep 40/40"), piped.stdout)
  }

  /// Runs ddp train once per task with its variables, all at once, as a launcher starts
  /// them; each is killed after 30 s (exit 124) so a hang fails instead of blocking.
  func launchTasks(_ tasks: [[String: String]]) throws -> [Outcome] {
    let config = try writeSmallestRunConfig(in: work, steps: 3)
    let out = work.appendingPathComponent("refused").path
    var running: [(Process, URL)] = []
    for (index, variables) in tasks.enumerated() {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
      process.arguments = ["30", ddpExecutable, "train", "--config", config, "--out", out]
      process.environment = ProcessInfo.processInfo.environment.merging(variables) { $1 }
      let errorFile = work.appendingPathComponent("task-\(index).err")
      _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
      process.standardError = try FileHandle(forWritingTo: errorFile)
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      running.append((process, errorFile))
    }
    return try running.map { process, errorFile in
      process.waitUntilExit()
      let stderr = String(decoding: try Data(contentsOf: errorFile), as: UTF8.self)
      return Outcome(status: process.terminationStatus, stdout: "", stderr: stderr)
    }
  }

  /// Every task exits 2 (not 124, the timeout's), only the launcher's rank 0 prints, one line
  /// naming `expected`, and nothing was written.
  func assertRefused(_ outcomes: [Outcome], saying expected: String) {
    for (rank, outcome) in outcomes.enumerated() {
      XCTAssertEqual(outcome.status, 2, "rank \(rank): \(outcome.stderr)")
      let lines = outcome.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, rank == 0 ? 1 : 0, "rank \(rank): \(outcome.stderr)")
    }
    let line = outcomes.first?.stderr ?? ""
    XCTAssertTrue(line.hasPrefix("ddp: ") && line.contains(expected), line)
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: work.appendingPathComponent("refused").path))
  }

  /// srun without --mpi=pmix: two tasks, no PMIx, each would train alone.
  func testSrunWithoutPMIxIsRefusedInOneLine() throws {
    let tasks = (0..<2).map {
      ["SLURM_PROCID": "\($0)", "SLURM_STEP_NUM_TASKS": "2", "SLURM_NTASKS": "2"]
    }
    assertRefused(try launchTasks(tasks), saying: "run srun --mpi=pmix")
  }

  /// MPICH's mpiexec or srun --mpi=pmi2: PMI-2, which this OpenMPI does not speak.
  func testPMI2LaunchIsRefusedInOneLine() throws {
    let tasks = (0..<2).map { ["PMI_RANK": "\($0)", "PMI_SIZE": "2"] }
    assertRefused(try launchTasks(tasks), saying: "PMI_SIZE=2")
  }

  /// PMIx variables but no PMIx server OpenMPI reaches: MPI makes each task a singleton, and
  /// the world of 1 against the launcher's 2 tasks is refused after MPI_Init.
  func testTasksMPIDidNotJoinAreRefusedInOneLine() throws {
    let tasks = (0..<2).map {
      ["PMIX_RANK": "\($0)", "SLURM_PROCID": "\($0)", "SLURM_STEP_NUM_TASKS": "2"]
    }
    assertRefused(try launchTasks(tasks), saying: "MPI joined only one")
  }
}
