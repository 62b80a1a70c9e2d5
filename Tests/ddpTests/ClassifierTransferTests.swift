import Foundation
import Training
import XCTest

/// ULMFiT's stage c through the real commands: a classifier started from a language model run
/// (`train.init_from`, 2 workers under real `mpirun`), and `ddp eval` refusing the option that
/// belongs to the other head, in one line.
final class ClassifierTransferTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws {
    work = try temporaryWorkDirectory("ddp-classifier-transfer")
    let vocabularies = [
      "alpha": ["compiler", "kernel", "bug", "program", "disk"],
      "beta": ["senate", "vote", "law", "party", "tax"],
      "other": ["the", "a", "of", "and", "to", "in"],
    ]
    for (name, words) in vocabularies {
      let entries = (0..<60).map { i in
        (0..<(3 + i % 5)).map { words[(i * 7 + $0 * 3) % words.count] }.joined(separator: " ")
          + " \(i)"
      }
      try (entries.joined(separator: "\n%\n") + "\n").write(
        to: work.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
  }

  /// One config for both heads (the shapes of the body must agree): `head` and `extra` [train]
  /// lines vary.
  func config(head: String, steps: Int, _ extra: String = "") throws -> String {
    let text = """
      [model]
      d_model = 16
      n_heads = 2
      n_layers = 2
      context = 32
      head = "\(head)"
      head_hidden = 8
      [train]
      steps = \(steps)
      batch = 8
      warmup = 0
      eval_every = 0
      eval_batches = 1
      checkpoint_every = 0
      \(extra)
      [data]
      path = "\(work.path)"
      classes = "alpha,beta"
      """
    let path = work.appendingPathComponent("\(head)-\(UUID().uuidString).toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Trains `config` with `workers` workers into `work/name`; returns the run folder and stdout.
  func train(_ name: String, workers: Int, _ config: String, _ sets: [String] = []) throws -> (
    run: String, stdout: String
  ) {
    let out = work.appendingPathComponent(name).path
    let (outcome, _) = try runWorkers(
      workers, ["train", "--config", config, "--out", out] + sets.flatMap { ["--set", $0] })
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    return (out, outcome.stdout)
  }

  /// The parameters of a run's newest checkpoint, by name.
  func parameters(_ run: String) throws -> [String: [Float]] {
    let loaded = try Checkpoint.read(path: try XCTUnwrap(Checkpoint.newestIntact(inDirectory: run)))
    var byName: [String: [Float]] = [:]
    for entry in loaded.parameters.layout.entries {
      byName[entry.name] = Array(loaded.parameters.values(entry.name) ?? [])
    }
    return byName
  }

  /// One AdamW step at lr 1e-30 moves a parameter by about 1e-30 (a zero bias) or by nothing
  /// (anything of size > 1e-22, below an ulp): far below any value of a trained tensor.
  static let stillStepTolerance: Float = 1e-20

  /// A classifier started from a language model run on 2 workers trains (exit 0), says which
  /// tensors it kept at init (the four `classifier.*`), and after one step at lr 1e-30 holds
  /// the language model's body and the from-scratch run's classifier head.
  func testClassifierStartsFromALanguageModel() throws {
    try requireMPIRun()
    let (lm, _) = try train("lm", workers: 1, try config(head: "lm", steps: 10))
    let still = try config(head: "classifier", steps: 1, "lr = 1e-30\nmin_lr = 0")
    let (tuned, stdout) = try train("tuned", workers: 2, still, ["train.init_from=\(lm)"])
    let line = try XCTUnwrap(
      stdout.split(separator: "\n").first { $0.contains("init_from: ") }, stdout)
    let head = ["classifier.fc1.weight", "classifier.fc1.bias", "classifier.fc2.weight"]
    for name in head + ["classifier.fc2.bias"] {
      XCTAssertTrue(line.contains(name), "\(name) not in: \(line)")
    }
    XCTAssertTrue(line.contains("kept at init: classifier."), String(line))
    let (scratch, _) = try train("scratch", workers: 1, still)
    let source = try parameters(lm)
    let started = try parameters(tuned)
    let fresh = try parameters(scratch)
    for (name, values) in started {
      let expected = try XCTUnwrap(
        name.hasPrefix("classifier.") ? fresh[name] : source[name], "\(name) missing")
      XCTAssertEqual(values.count, expected.count, name)
      let difference = zip(values, expected).map { abs($0 - $1) }.max() ?? 0
      XCTAssertLessThan(difference, Self.stillStepTolerance, name)
    }
    XCTAssertEqual(started.keys.filter { $0.hasPrefix("classifier.") }.count, 4)
  }

  /// `ddp eval --split test` on a language model run, and `ddp eval --data FILE` on a classifier
  /// run, are refused with exit code 2 and one line naming the option.
  func testEvalRefusesTheOtherHeadsOption() throws {
    let (lm, _) = try train("lm", workers: 1, try config(head: "lm", steps: 2))
    let (classifier, _) = try train("cls", workers: 1, try config(head: "classifier", steps: 2))
    let text = work.appendingPathComponent("alpha").path
    let cases = [
      (["--checkpoint", lm, "--split", "test"], "--split test is for classifier runs"),
      (["--checkpoint", classifier, "--data", text], "--data scores language models"),
    ]
    for (arguments, expected) in cases {
      let (outcome, seconds) = try runWorkers(1, ["eval"] + arguments)
      XCTAssertEqual(outcome.status, 2, expected)
      XCTAssertLessThan(seconds, refusalSeconds, expected)
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(expected), outcome.stderr)
    }
  }
}
