import Foundation
import XCTest

/// `ddp experiment`: real sweeps of `mpirun -np 2` jobs on a tiny model, read back from
/// results.json; an interrupted sweep continues; a diverged run is a result; bad requests are
/// refused in one line.
final class ExperimentCommandTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws { work = try temporaryWorkDirectory("ddp-experiment") }

  let tinyModel = [
    "--set", "model.d_model=16", "--set", "model.n_heads=2", "--set", "model.context=16",
  ]

  func results(_ folder: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/results.json"))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  /// 24 probe jobs (3 placements x 2 inits x 4 depths, one seed) on 2 workers: every job
  /// holds its settings and one gradient norm per block for each tensor, the claims have
  /// verdicts, the report has its charts. With two job results and results.json removed, the
  /// same command runs those two jobs again and keeps the other 22.
  func testGradientsSweepRunsReportsAndResumes() throws {
    let out = work.appendingPathComponent("gradients").path
    let arguments = ["experiment", "gradients", "--seeds", "1", "--out", out] + tinyModel
    let first = try runDDP(arguments)
    XCTAssertEqual(first.status, 0, first.stderr + first.stdout)
    XCTAssertTrue(first.stdout.contains("| claim | paper |"), first.stdout)
    let jobs = try XCTUnwrap(try results(out)["jobs"] as? [[String: Any]])
    XCTAssertEqual(jobs.count, 24)
    for job in jobs {
      for key in ["experiment", "placement", "init", "layers", "d_model", "seed", "lr", "warmup"] {
        XCTAssertNotNil(job[key], "\(key) missing in \(job)")
      }
      let layers = try XCTUnwrap(job["layers"] as? Int)
      XCTAssertEqual(job["d_model"] as? Int, 16)
      let norms = try XCTUnwrap(job["gradient_norms"] as? [String: [Double]])
      XCTAssertEqual(Set(norms.keys), ["attn.qkv", "attn.proj", "mlp.fc", "mlp.proj"])
      for series in norms.values {
        XCTAssertEqual(series.count, layers)
        XCTAssertTrue(series.allSatisfy { $0 > 0 && $0.isFinite }, "\(series)")
      }
    }
    let claims = try XCTUnwrap(try results(out)["claims"] as? [[String: Any]])
    XCTAssertEqual(claims.count, 3)
    for claim in claims {
      XCTAssertTrue(
        ["reproduced", "not reproduced", "inconclusive"].contains(claim["verdict"] as? String))
    }
    let report = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
    for id in ["chart-layers-xavier", "chart-depth-gpt2"] {
      XCTAssertTrue(report.contains("id=\"\(id)\""), id)
    }

    let again = try runDDP(arguments)
    XCTAssertEqual(again.status, 2)
    XCTAssertTrue(
      again.stderr.contains("already holds results.json and report.html"), again.stderr)
    for path in [
      "/results.json", "/jobs/pre-xavier-L6-s1/result.json", "/jobs/post-gpt2-L24-s1/result.json",
    ] {
      try FileManager.default.removeItem(atPath: out + path)
    }
    let resumed = try runDDP(arguments)
    XCTAssertEqual(resumed.status, 0, resumed.stderr + resumed.stdout)
    XCTAssertEqual(resumed.stdout.components(separatedBy: "kept from an earlier run").count - 1, 22)
    XCTAssertEqual((try results(out)["jobs"] as? [[String: Any]])?.count, 24)
    // A sweep whose report could not be written (a full disk) is finished by the same command:
    // every job kept, the report written.
    try FileManager.default.removeItem(atPath: out + "/report.html")
    let completed = try runDDP(arguments)
    XCTAssertEqual(completed.status, 0, completed.stderr + completed.stdout)
    XCTAssertEqual(
      completed.stdout.components(separatedBy: "kept from an earlier run").count - 1, 24)
    XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/report.html"))
  }

  /// Every run stops at step 3 with a NaN loss (DDP_FAULT_NONFINITE=3): the sweep still
  /// finishes, each job recorded as diverged at step 3 with the two finite steps before it.
  func testWarmupSweepRecordsDivergedRunsAsResults() throws {
    let out = work.appendingPathComponent("warmup").path
    let outcome = try runProcess(
      "/usr/bin/env",
      [
        "DDP_FAULT_NONFINITE=3", ddpExecutable, "experiment", "warmup", "--out", out, "--set",
        "train.steps=5", "--set", "train.eval_batches=1",
      ] + tinyModel)
    XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
    let jobs = try XCTUnwrap(try results(out)["jobs"] as? [[String: Any]])
    XCTAssertEqual(jobs.count, 12)
    for job in jobs {
      XCTAssertEqual(job["status"] as? String, "diverged")
      XCTAssertEqual(job["diverged_at_step"] as? Int, 3)
      XCTAssertEqual((job["loss_curve"] as? [Double])?.count, 2)
      XCTAssertNil(job["validation_loss"])
    }
    XCTAssertTrue(outcome.stdout.contains("diverged at step 3"), outcome.stdout)
  }

  /// SIGTERM to the sweep stops the job it launched too, within seconds, with one line; so does
  /// SIGKILL, which the sweep cannot catch (the job's parent-death signal). The job's ranks used
  /// to run on to their own end.
  func testASignalStopsTheRunningJob() throws {
    try requireMPIRun()
    for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGKILL, "SIGKILL")] {
      let out = work.appendingPathComponent("signalled-\(name)").path
      let process = Process()
      process.executableURL = URL(fileURLWithPath: ddpExecutable)
      process.arguments =
        ["experiment", "warmup", "--out", out, "--set", "train.steps=100000"] + tinyModel
      let errors = Pipe()
      process.standardError = errors
      process.standardOutput = FileHandle.nullDevice
      try process.run()
      let started = Date()
      func jobsRunning() -> Bool {
        let listing = (try? runProcess("/usr/bin/pgrep", ["-f", out + "/jobs"]))?.stdout ?? ""
        return !listing.isEmpty
      }
      // Training: the job's ranks have their signal handlers (before, a signal ends them).
      func jobTraining() -> Bool {
        let jobs = (try? FileManager.default.contentsOfDirectory(atPath: out + "/jobs")) ?? []
        return jobs.contains { job in
          let metrics = "\(out)/jobs/\(job)/run/metrics.jsonl"
          let size = try? FileManager.default.attributesOfItem(atPath: metrics)[.size] as? Int
          return (size ?? 0) > 0
        }
      }
      while !jobTraining() && Date().timeIntervalSince(started) < 60 {
        Thread.sleep(forTimeInterval: 0.2)
      }
      XCTAssertTrue(jobTraining(), "\(name): no job trained within 60 s")
      kill(process.processIdentifier, signal)
      let signalled = Date()
      process.waitUntilExit()
      while jobsRunning() && Date().timeIntervalSince(signalled) < 40 {
        Thread.sleep(forTimeInterval: 0.2)
      }
      XCTAssertFalse(jobsRunning(), "\(name): the job outlived the sweep")
      XCTAssertLessThan(Date().timeIntervalSince(signalled), 35, name)
      // Killed, the sweep says nothing; its job got setpriv's parent-death signal (SIGUSR1,
      // once for each thread of the sweep it passed through), which stops it once, with a
      // checkpoint.
      guard signal == SIGTERM else {
        let jobs = try FileManager.default.contentsOfDirectory(atPath: out + "/jobs")
        XCTAssertEqual(jobs.count, 1, "\(jobs)")
        let log = try String(contentsOfFile: "\(out)/jobs/\(jobs[0])/train.log", encoding: .utf8)
        XCTAssertTrue(log.contains("stopped by SIGTERM after step"), log)
        XCTAssertFalse(log.contains("a second signal"), log)
        continue
      }
      XCTAssertEqual(process.terminationStatus, 1)
      let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      XCTAssertEqual(text.split(separator: "\n").count, 1, text)
      XCTAssertTrue(
        text.hasPrefix("ddp: run: stopped by signal 15; the running job was stopped"), text)
    }
  }

  /// A second sweep on the folder of one that is running is refused in one line (exit 2)
  /// before it runs a job; the first goes on.
  func testASecondSweepOnABusyFolderIsRefused() throws {
    try requireMPIRun()
    let out = work.appendingPathComponent("busy").path
    let first = Process()
    first.executableURL = URL(fileURLWithPath: ddpExecutable)
    first.arguments =
      ["experiment", "warmup", "--out", out, "--set", "train.steps=100000"] + tinyModel
    first.standardOutput = FileHandle.nullDevice
    first.standardError = FileHandle.nullDevice
    try first.run()
    defer {
      first.terminate()
      first.waitUntilExit()
    }
    XCTAssertTrue(
      waitUntil { FileManager.default.fileExists(atPath: out + "/jobs") }, "no sweep folder")
    assertRefusedInOneLine(
      try runDDP(["experiment", "warmup", "--out", out] + tinyModel),
      "cannot lock \"\(out)\": it is in use by another process (a ddp run or sweep writing it; wait until it ends or stop it first)"
    )
    XCTAssertTrue(first.isRunning, "the refused sweep stopped the running one")
  }

  /// A folder that holds another command's output is refused in one line, its files untouched:
  /// an experiment on a training run's folder or on another sweep's results.json (finishing a
  /// report is for a sweep's own results), a compare on results.json that is not a compare's,
  /// a training run on a sweep's folder.
  func testAFolderOfAnotherCommandIsRefused() throws {
    let run = work.appendingPathComponent("a-run").path
    let sweep = work.appendingPathComponent("a-sweep").path
    try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: sweep, withIntermediateDirectories: true)
    try "[train]\nsteps = 5\n".write(
      toFile: run + "/config.toml", atomically: true, encoding: .utf8)
    let foreign = #"{"experiment": "gradients", "jobs": []}"# + "\n"
    try foreign.write(toFile: sweep + "/results.json", atomically: true, encoding: .utf8)
    let config = packageRoot.path + "/configs/fortunes.toml"
    for (arguments, expected) in [
      (["experiment", "warmup", "--out", run] + tinyModel, "holds a training run (config.toml)"),
      (
        ["experiment", "warmup", "--out", sweep] + tinyModel,
        "holds the results.json of another sweep"
      ),
      (
        ["compare", "--out", sweep] + tinyModel,
        "holds a results.json that is not a ddp compare's"
      ),
      (["train", "--config", config, "--out", sweep], "holds files of another run"),
      (["train", "--config", config, "--out", sweep, "--dry-run"], "holds files of another run"),
    ] {
      assertRefusedInOneLine(try runDDP(arguments), expected)
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sweep), ["results.json"])
    XCTAssertEqual(try String(contentsOfFile: sweep + "/results.json", encoding: .utf8), foreign)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: run), ["config.toml"])
  }

  /// Requests that cannot run: one line on standard error, exit code 2, nothing written.
  func testBadRequestsAreRefusedInOneLine() throws {
    let out = work.appendingPathComponent("refused").path
    let cases: [(arguments: [String], expected: String)] = [
      (["experiment", "gradient"], "unknown experiment \"gradient\""),
      (["experiment", "warmup", "--workers", "0"], "--workers must be in 1...64"),
      (["experiment", "warmup", "--seeds", "0"], "--seeds must be in 1...20"),
      (["experiment", "warmup", "--seeds", "21"], "--seeds must be in 1...20"),
      (["experiment", "depth", "--timeout", "-1"], "--timeout must be a positive"),
      (["experiment", "warmup", "--set", "train.lr=0.1"], "--set train.lr: the warmup experiment"),
      (["experiment", "gradients", "--set", "model.n_layers=2"], "sets it in every job"),
      (["experiment", "depth", "--set", "train.seed=3"], "--set train.seed"),
      (["experiment", "depth", "--set", "model.d_modle=3"], "unknown key model.d_modle"),
      (["experiment", "depth", "--set", "model.d_model=-3"], "model.d_model = -3"),
      (["experiment", "depth", "--full", "--quick"], "--full"),
      (["experiment", "depth", "--out", "/proc/version/x"], "cannot create"),
      (
        ["experiment", "ulmfit", "--set", "data.labels_per_class=5"],
        "--set data.labels_per_class: the ulmfit experiment"
      ),
      (["experiment", "ulmfit", "--set", "data.classes=computers"], "two or more"),
    ]
    for (arguments, expected) in cases {
      let outcome = try runDDP(arguments + (arguments.contains("--out") ? [] : ["--out", out]))
      let label = arguments.joined(separator: " ")
      XCTAssertEqual(outcome.status, 2, label + ": " + outcome.stderr)
      let lines = outcome.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, label + ": " + outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(expected), label + ": " + outcome.stderr)
      XCTAssertFalse(FileManager.default.fileExists(atPath: out), label)
    }
  }
}
