import Foundation
import XCTest

/// `ddp experiment ulmfit` end to end on a tiny model and a tiny corpus of made-up fortune
/// files: real `mpirun -np 2` jobs for stages a, b and every classifier, `ddp eval --split
/// test` of each, naive Bayes in process; stage a and b run once and the classifiers start
/// from their runs; a rerun stage b reruns what starts from it and nothing else.
final class UlmfitExperimentTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws { work = try temporaryWorkDirectory("ddp-ulmfit") }

  /// Two class files of 30 entries (machines, animals) and a general file of 60.
  func writeCorpus() throws -> String {
    let directory = work.appendingPathComponent("fortunes")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let files = [
      "alpha": (0..<30).map { "The program \($0) crashed; reboot the computer.\n" },
      "beta": (0..<30).map { "A cat \($0) sat on the mat and purred at the dog.\n" },
      "general": (0..<60).map { "Entry \($0): the world is what it is, said someone.\n" },
    ]
    for (name, entries) in files {
      try entries.joined(separator: "%\n").write(
        to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return directory.path
  }

  func jobs(_ out: String) throws -> [[String: Any]] {
    let data = try Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))
    let results = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try XCTUnwrap(results["jobs"] as? [[String: Any]])
  }

  func testTinySweepRunsEveryStageAndReusesTheLanguageModels() throws {
    let out = work.appendingPathComponent("ulmfit").path
    let arguments = [
      "experiment", "ulmfit", "--seeds", "1", "--out", out, "--set",
      "data.path=" + (try writeCorpus()), "--set", "data.classes=alpha,beta", "--set",
      "model.d_model=16", "--set", "model.n_heads=2", "--set", "model.context=32", "--set",
      "train.steps=4", "--set", "train.batch=8", "--set", "train.eval_batches=1",
    ]
    let first = try runDDP(arguments)
    XCTAssertEqual(first.status, 0, first.stderr + first.stdout)
    XCTAssertTrue(first.stdout.contains("| claim | paper |"), first.stdout)
    let all = try jobs(out)
    // 2 language models; per label count (10, 50, all) naive Bayes, scratch, pretrained and
    // ULMFiT; 3 ablations at 50.
    XCTAssertEqual(all.count, 2 + 3 * 4 + 3)
    for job in all {
      let name = try XCTUnwrap(job["name"] as? String)
      if name.hasPrefix("stage-") {
        XCTAssertNotNil(job["validation_loss"] as? Double, name)
        continue
      }
      let accuracy = try XCTUnwrap(job["accuracy"] as? Double, name)
      XCTAssertTrue((0...1).contains(accuracy), "\(name): \(accuracy)")
      XCTAssertNotNil(job["labels_per_class"] as? Int, name)
      if !name.hasPrefix("bayes") { XCTAssertNotNil(job["test_loss"] as? Double, name) }
    }
    // The classifiers start from the language models' runs, read by rank 0 at start-up.
    for (job, from) in [
      ("stage-b", "stage-a"), ("pretrained-n10-s1", "stage-a"), ("ulmfit-n10-s1", "stage-b"),
      ("no-stlr-n50-s1", "stage-b"),
    ] {
      let toml = try String(contentsOfFile: "\(out)/jobs/\(job)/job.toml", encoding: .utf8)
      XCTAssertTrue(toml.contains("init_from = \"\(out)/jobs/\(from)/run\""), job)
      let log = try String(contentsOfFile: "\(out)/jobs/\(job)/train.log", encoding: .utf8)
      XCTAssertTrue(log.contains("init_from:"), job + ": " + log)
    }
    let report = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
    for id in ["chart-ulmfit-labels", "chart-ulmfit-ablations"] {
      XCTAssertTrue(report.contains("id=\"\(id)\""), id)
    }

    // Stage b again: what starts from it runs again; stage a, scratch, pretrained and naive
    // Bayes are kept.
    for path in ["/results.json", "/jobs/stage-b/result.json"] {
      try FileManager.default.removeItem(atPath: out + path)
    }
    let resumed = try runDDP(arguments)
    XCTAssertEqual(resumed.status, 0, resumed.stderr + resumed.stdout)
    let kept = resumed.stdout.split(separator: "\n").filter {
      $0.contains("kept from an earlier run")
    }
    XCTAssertEqual(kept.count, 1 + 3 * 3, resumed.stdout)
    XCTAssertFalse(kept.contains { $0.contains("ulmfit-") || $0.contains("no-") })
    XCTAssertEqual(try jobs(out).count, 17)
  }
}
