import Config
import Foundation
import Kernels
import Reports
import Support
import Training

/// Starts `ddp` jobs of N workers on a transport and waits for them, with a time limit; what
/// the job prints goes to a log file.
///
/// - `shm`: `mpirun -np N` on this host (shared memory between ranks), with the root
///   variables when root, `--oversubscribe` when N exceeds the cores and `--bind-to none`.
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

  private func runOnce(workers: Int, arguments: [String], log: String, silentLimit: Double?)
    throws -> Outcome
  {
    let process = Process()
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = "1"
    if getuid() == 0 {
      environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
      environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    }
    switch transport {
    case .shm:
      process.executableURL = URL(fileURLWithPath: try Self.find("mpirun"))
      var options = ["-np", "\(workers)", "--bind-to", "none", "-x", "OPENBLAS_NUM_THREADS"]
      if workers > ProcessInfo.processInfo.activeProcessorCount {
        options.append("--oversubscribe")
      }
      process.arguments = options + [executable] + arguments
    case .cluster:
      guard let clusterScript else { throw RunError("launch/cluster not found") }
      process.executableURL = URL(fileURLWithPath: clusterScript)
      environment["DDP_EXECUTABLE"] = executable
      process.arguments = ["run", "-np", "\(workers)", "--"] + arguments
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
    return .finished(process.terminationStatus)
  }

  /// The full path of `command` on PATH.
  public static func find(_ command: String) throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = "\(directory)/\(command)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    throw RunError("\(command) not found on PATH; install OpenMPI (launch/setup)")
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
    var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
      .deletingLastPathComponent()
    while folder.path != "/" {
      let candidate = folder.appendingPathComponent("launch/cluster").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
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
