import Config
import Foundation
import Kernels
import Reports
import Support
import Training

/// Starts `ddp` jobs of N workers on a transport and waits for them, with a time limit; what
/// the job prints goes to a log file.
///
/// - `shm`: `launch/ddp -np N -- ...`: `mpirun -np N` on this host (shared memory between
///   ranks), with the flags of `launch/mpirun-flags` (the root variables when root,
///   `--oversubscribe` when N exceeds the cores, `--bind-to none`).
/// - `cluster`: `launch/cluster run -np N -- ...`, one rank per network-namespace host, MPI
///   over TCP (the cluster must be up with at least N hosts).
///
/// Every rank runs with one OpenBLAS thread, so one worker is one core.
public struct JobLauncher {
  public enum Transport: String, CaseIterable {
    case shm, cluster
  }

  public let transport: Transport
  /// This `ddp` executable.
  public let executable: String
  /// `launch/cluster` of this package (cluster transport only).
  public let clusterScript: String?
  /// Seconds before a job is killed and reported as hung.
  public let timeout: Double

  /// Runs `ddp ARGUMENTS` on `workers` ranks, writing both outputs to `log`. A job that has
  /// printed nothing after `silentLimit` seconds never started (launching through the
  /// cluster's rsh agent rarely stalls so, about once in 40 jobs here): it is killed and
  /// started again, twice at most.
  ///
  /// - Returns: the exit status (`nil` when the job ran past the time limit and was killed).
  public func run(workers: Int, arguments: [String], log: String, silentLimit: Double? = nil) throws
    -> Int32?
  {
    for attempt in 1...3 {
      let outcome = try runOnce(
        workers: workers, arguments: arguments, log: log, silentLimit: silentLimit)
      guard case .silent = outcome else {
        if case .finished(let status) = outcome { return status }
        return nil
      }
      if attempt < 3 {
        print("  (the job printed nothing for \(Int(silentLimit ?? 0)) s: started again)")
      }
    }
    return nil
  }

  public enum Outcome {
    case finished(Int32)
    case timedOut
    case silent
  }

  /// Refuses a launcher whose script is missing (`launch/ddp` above the executable, or the
  /// cluster script), before a sweep makes its folder: found at the first job, it left the
  /// folder and a job's config behind.
  public func requireScript() throws {
    switch transport {
    case .shm:
      if Self.findScript("launch/ddp", from: executable) == nil {
        throw RunError("launch/ddp not found above \(MessageText.quoted(executable))")
      }
    case .cluster:
      if clusterScript == nil { throw RunError("launch/cluster not found") }
    }
  }

  /// util-linux's `setpriv`, which sets the parent-death signal of what it runs.
  static let orphanGuard = "/usr/bin/setpriv"

  private func runOnce(workers: Int, arguments: [String], log: String, silentLimit: Double?)
    throws -> Outcome
  {
    let process = Process()
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = "1"
    // The scripts add mpirun's flags (launch/mpirun-flags); `--`: no mpirun options of ours.
    environment["DDP_EXECUTABLE"] = executable
    switch transport {
    case .shm:
      guard let script = Self.findScript("launch/ddp", from: executable) else {
        throw RunError("launch/ddp not found above \(MessageText.quoted(executable))")
      }
      process.executableURL = URL(fileURLWithPath: script)
      process.arguments = ["-np", "\(workers)", "--"] + arguments
    case .cluster:
      guard let clusterScript else { throw RunError("launch/cluster not found") }
      process.executableURL = URL(fileURLWithPath: clusterScript)
      process.arguments = ["run", "-np", "\(workers)", "--"] + arguments
    }
    if FileManager.default.isExecutableFile(atPath: Self.orphanGuard) {
      // If this sweep dies (kill -9), its job stops with a checkpoint instead of training on
      // unwatched: the script gets SIGUSR1 (PR_SET_PDEATHSIG; setpriv then runs the script in
      // its place) and stops the job as SIGTERM does, once. Not TERM itself: the kernel sends
      // the parent-death signal once for each thread of this dying process that the script is
      // handed to on the way (prctl(2): the parent is a thread), and a second TERM means "stop
      // at once, without a checkpoint". Not HUP: `nohup ddp experiment` must not stop its
      // jobs when the terminal closes.
      process.arguments =
        ["--pdeathsig", "USR1", "--", process.executableURL!.path] + (process.arguments ?? [])
      environment["DDP_PARENT_DEATH_SIGNAL"] = "USR1"
      process.executableURL = URL(fileURLWithPath: Self.orphanGuard)
    }
    process.environment = environment
    FileManager.default.createFile(atPath: log, contents: nil)
    guard let output = FileHandle(forWritingAtPath: log) else {
      throw RunError("cannot write \"\(log)\"")
    }
    defer { try? output.close() }
    process.standardOutput = output
    process.standardError = output
    // mpirun forwards its standard input to rank 0: give it none, so a sweep run from a
    // pipeline or in the background never waits on a terminal.
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let started = monotonicSeconds()
    while process.isRunning {
      if PreemptionSignals.received != 0 {
        // The sweep was told to stop (SIGTERM, SIGINT): its job stops too (launch/ddp passes
        // the signal to the ranks, which stop with a checkpoint), not minutes later.
        process.terminate()
        let asked = monotonicSeconds()
        while process.isRunning && monotonicSeconds() - asked < 30 {
          Thread.sleep(forTimeInterval: 0.05)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        throw RunError(
          "stopped by signal \(PreemptionSignals.received); the running job was stopped too "
            + "(its log: \(MessageText.quoted(log)))")
      }
      let elapsed = monotonicSeconds() - started
      let silent =
        silentLimit.map { elapsed > $0 && (try? output.offsetInFile) == 0 } ?? false
      if elapsed > timeout || silent {
        process.terminate()
        Thread.sleep(forTimeInterval: 2)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return silent ? .silent : .timedOut
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    // A job killed by a signal reads as the shell shows it, 128 + the signal.
    let killed = process.terminationReason == .uncaughtSignal
    return .finished(killed ? 128 + process.terminationStatus : process.terminationStatus)
  }

  /// Throws with the job's last error line when it failed or hung.
  public static func requireSuccess(_ status: Int32?, job: String, log: String) throws {
    guard status != 0 else { return }
    let text = (try? FileSystem.contents(of: log)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    let reason =
      text.split(separator: "\n").last { $0.hasPrefix("ddp:") || $0.contains(": ddp:") }
      .map(String.init)
      ?? status.map { $0 > 128 ? "killed by signal \($0 - 128)" : "exit status \($0)" } ?? ""
    guard status != nil else {
      throw RunError("\(job) ran past --timeout and was killed; see \(log)")
    }
    throw RunError("\(job) failed: \(reason); see \(log)\(fullDiskNote(log: log, text: text))")
  }

  /// When a failed job left no error line (`text`: its log) and the log's disk is full, the
  /// job's own message (`No space left on device`) could not be written there: say it here.
  static func fullDiskNote(log: String, text: String) -> String {
    guard !text.contains("ddp:") else { return "" }
    var info = statvfs()
    guard statvfs(FileSystem.directoryPart(of: log), &info) == 0 else { return "" }
    let free = Double(info.f_bavail) * Double(info.f_frsize)
    guard free < 1_048_576 else { return "" }
    return " (its log holds no error line, and its disk has \(Int(free / 1024)) kB free: "
      + "No space left on device, most likely)"
  }

  /// This process's executable (after the OPENBLAS_CORETYPE re-exec: the real file).
  public static var currentExecutable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
  }

  /// `launch/cluster` of the package this executable was built in: the first `launch/cluster`
  /// found walking up from the executable's folder (`.build/release/ddp` → the package root),
  /// or `$DDP_CLUSTER_SCRIPT`.
  public static func findClusterScript(from executable: String) -> String? {
    if let given = ProcessInfo.processInfo.environment["DDP_CLUSTER_SCRIPT"] { return given }
    return findScript("launch/cluster", from: executable)
  }

  /// The first `script` (a path such as `launch/ddp`) found walking up from the executable's
  /// folder.
  public static func findScript(_ script: String, from executable: String) -> String? {
    findAbove(executable, script) { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// The first `path` (e.g. `configs/compare.toml`) that is a regular file, found walking up
  /// from the executable's folder: a package's own file, whatever the working folder is.
  public static func findPackageFile(_ path: String, from executable: String) -> String? {
    findAbove(executable, path) { candidate in
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory)
        && !isDirectory.boolValue
    }
  }

  /// The first `folder/path` that `accepts`, for each folder from the executable's own (with
  /// symbolic links resolved) up to the root.
  static func findAbove(
    _ executable: String, _ path: String, accepts: (String) -> Bool
  ) -> String? {
    var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
      .deletingLastPathComponent()
    while folder.path != "/" {
      let candidate = folder.appendingPathComponent(path).path
      if accepts(candidate) { return candidate }
      folder.deleteLastPathComponent()
    }
    return nil
  }

  public init(
    transport: Transport,
    executable: String,
    clusterScript: String?,
    timeout: Double
  ) {
    self.transport = transport
    self.executable = executable
    self.clusterScript = clusterScript
    self.timeout = timeout
  }
}
