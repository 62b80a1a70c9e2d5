import Foundation
import Training
import XCTest

/// A `ddp train` job (plain process or `mpirun`) running in the background, for tests that
/// interrupt it: its ranks are found by a tag in their environment.
final class BackgroundJob {
  let process = Process()
  let tag = UUID().uuidString
  let outputPath: String
  let errorPath: String

  /// Starts `mpirun -np workers ddp ARGUMENTS` (or `ddp ARGUMENTS` alone when `workers` is nil,
  /// or `launch/ddp -np workers ... -- ARGUMENTS` with `throughLaunchScript`) with `environment`
  /// added, outputs to files in `folder`.
  init(
    workers: Int?, arguments: [String], environment: [String: String] = [:], folder: URL,
    throughLaunchScript: Bool = false
  ) throws {
    outputPath = folder.appendingPathComponent("job-\(tag).out").path
    errorPath = folder.appendingPathComponent("job-\(tag).err").path
    var variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    variables["DDP_TEST_TAG"] = tag
    variables["OPENBLAS_NUM_THREADS"] = "1"
    if let workers, throughLaunchScript {
      let exported = (["DDP_TEST_TAG"] + environment.keys.sorted()).flatMap { ["-x", $0] }
      variables["DDP_EXECUTABLE"] = ddpExecutable
      process.executableURL = packageRoot.appendingPathComponent("launch/ddp")
      process.arguments = ["-np", "\(workers)"] + exported + ["--"] + arguments
    } else if let workers {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
      let exported = (["DDP_TEST_TAG", "OPENBLAS_NUM_THREADS"] + environment.keys.sorted())
        .flatMap { ["-x", $0] }
      process.arguments =
        [
          "-q", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "\(workers)",
        ] + exported + [ddpExecutable] + arguments
    } else {
      process.executableURL = URL(fileURLWithPath: ddpExecutable)
      process.arguments = arguments
    }
    process.environment = variables
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: outputPath)
    process.standardError = FileHandle(forWritingAtPath: errorPath)
    try process.run()
  }

  deinit { if process.isRunning { process.terminate() } }

  /// The process id of rank `rank` (found by the tag in /proc/PID/environ).
  func pid(ofRank rank: Int) -> pid_t? {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries {
      guard let pid = pid_t(entry),
        let data = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
      else { continue }
      let variables = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      guard variables.contains("DDP_TEST_TAG=\(tag)"), pid != process.processIdentifier else {
        continue
      }
      let rankVariable = variables.first { $0.hasPrefix("OMPI_COMM_WORLD_RANK=") }
      let own = rankVariable.map { Int($0.dropFirst("OMPI_COMM_WORLD_RANK=".count)) ?? -1 } ?? 0
      if own == rank, isDDP(pid) { return pid }
    }
    return nil
  }

  private func isDDP(_ pid: pid_t) -> Bool {
    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"))
    return target?.hasSuffix("/ddp") ?? false
  }

  /// Waits until the job ends; returns its status and the seconds waited (nil: still running
  /// after `timeout`, then killed).
  func wait(timeout: Double) -> (status: Int32, seconds: Double)? {
    let start = Date()
    while process.isRunning {
      if Date().timeIntervalSince(start) > timeout {
        process.terminate()
        return nil
      }
      Thread.sleep(forTimeInterval: 0.02)
    }
    return (process.terminationStatus, Date().timeIntervalSince(start))
  }

  var stdout: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
  var stderr: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
}

/// Polls `condition` every 10 ms for up to `timeout` seconds.
func waitUntil(timeout: Double = 60, _ condition: () -> Bool) -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    if condition() { return true }
    Thread.sleep(forTimeInterval: 0.01)
  }
  return false
}

/// The parameters of a run directory's newest intact checkpoint, and its step.
func finalParameters(_ run: String) throws -> (step: Int, values: [Float]) {
  let path = try XCTUnwrap(Checkpoint.newestIntact(inDirectory: run), "no checkpoint in \(run)")
  let loaded = try Checkpoint.read(path: path)
  return (loaded.metadata.step, loaded.parameters.values)
}

/// The steps of the intact checkpoints in a run directory.
func checkpointSteps(_ run: String) -> [Int] {
  Checkpoint.list(inDirectory: run).map(\.step).sorted()
}

/// The `step` of every line of the run's metrics.jsonl, in file order; throws on a line that
/// is not a whole record.
func loggedSteps(_ run: String) throws -> [Int] {
  let text = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8)
  return try text.split(separator: "\n").map { line in
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    return try XCTUnwrap(object?["step"] as? Int, String(line))
  }
}

/// Seconds of CPU (user and system) process `pid` has used, from /proc/PID/stat.
func cpuSeconds(_ pid: pid_t) -> Double? {
  guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let end = text.lastIndex(of: ")")
  else { return nil }
  // Fields after the command name: state is field 3, utime 14 and stime 15 (in clock ticks).
  let fields = text[text.index(after: end)...].split(separator: " ")
  guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
    return nil
  }
  return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
