import Foundation
import XCTest

/// The classifier end to end with real processes: data-parallel parity (real `mpirun`), `ddp
/// eval` on a classifier, `ddp classify`, and bad class input refused in one line.
final class ClassifierCommandTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws {
    work = try temporaryWorkDirectory("ddp-classifier")
    let words = [
      "alpha": ["compiler", "kernel", "bug", "program", "disk", "byte", "unix"],
      "beta": ["senate", "vote", "law", "party", "tax", "king", "nation"],
      "gamma": ["atom", "star", "cell", "theory", "lab", "gene", "orbit"],
    ]
    var state: UInt64 = 5
    func next(_ n: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(state >> 33) % n
    }
    for (name, vocabulary) in words {
      let entries = (0..<80).map { _ in
        (0..<(4 + next(8))).map { _ in vocabulary[next(vocabulary.count)] }.joined(separator: " ")
      }
      try (entries.joined(separator: "\n%\n") + "\n").write(
        to: work.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    try "%\n%\n".write(to: work.appendingPathComponent("empty"), atomically: true, encoding: .utf8)
  }

  /// A tiny classifier config over the made-up class files, `extra` lines appended to [data].
  func config(steps: Int = 10, classes: String = "alpha,beta,gamma") throws -> String {
    let text = """
      [model]
      d_model = 16
      n_heads = 2
      n_layers = 2
      context = 32
      head = "classifier"
      head_hidden = 8
      [train]
      steps = \(steps)
      batch = 12
      warmup = 2
      eval_every = 0
      checkpoint_every = 0
      [data]
      path = "\(work.path)"
      classes = "\(classes)"
      """
    let path = work.appendingPathComponent("classify-\(UUID().uuidString).toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Two workers end 10 steps within float summation order of one worker on the same global
  /// batch, classifier head included (``summationOrderTolerance``).
  func testTwoWorkersTrainTheSameClassifierAsOne() throws {
    try requireMPIRun()
    let path = try config()
    let (single, _) = try trainAndRead(path, workers: 1, in: work)
    let (parallel, summary) = try trainAndRead(path, workers: 2, in: work)
    XCTAssertEqual(single["classifier.fc1.weight"]?.count, 8 * 3 * 16)
    XCTAssertEqual(single["classifier.fc2.weight"]?.count, 3 * 8)
    let difference = largestDifference(single, parallel)
    print("classifier, 2 workers vs 1: max |Δθ| = \(difference)")
    XCTAssertLessThan(difference, summationOrderTolerance)
    XCTAssertEqual(summary["workers"] as? Int, 2)
  }

  /// `ddp eval` prints loss, accuracy and a confusion matrix whose rows hold each class's
  /// documents; `ddp classify` prints probabilities that sum to 1, the label the largest.
  func testEvalAndClassify() throws {
    let run = work.appendingPathComponent("run").path
    let trained = try runDDP(["train", "--config", try config(steps: 40), "--out", run])
    XCTAssertEqual(trained.status, 0, trained.stderr)
    for split in ["validation", "test"] {
      let outcome = try runDDP(["eval", "--checkpoint", run, "--split", split])
      XCTAssertEqual(outcome.status, 0, outcome.stderr)
      let first = try XCTUnwrap(outcome.stdout.split(separator: "\n").first)
      let json = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
      let confusion = try XCTUnwrap(json["confusion"] as? [[Int]])
      let documents = try XCTUnwrap(json["documents"] as? Int)
      let accuracy = try XCTUnwrap(json["accuracy"] as? Double)
      XCTAssertEqual(confusion.count, 3)
      XCTAssertEqual(confusion.flatMap { $0 }.reduce(0, +), documents)
      let diagonal = (0..<3).map { confusion[$0][$0] }.reduce(0, +)
      XCTAssertEqual(accuracy, Double(diagonal) / Double(documents), accuracy: 1e-12)
      XCTAssertEqual(json["split"] as? String, split)
      XCTAssertEqual(json["classes"] as? [String], ["alpha", "beta", "gamma"])
      XCTAssertTrue(outcome.stdout.contains("true \\ predicted"), outcome.stdout)
      XCTAssertTrue(outcome.stdout.contains("accuracy "), outcome.stdout)
    }
    let texts = ["the compiler has a bug", "vote for the party"]
    let outcome = try runDDP(
      ["classify", "--checkpoint", run, "--text", texts[0], "--text", texts[1]])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let lines = outcome.stdout.split(separator: "\n")
    XCTAssertEqual(lines.count, 2)
    for (line, text) in zip(lines, texts) {
      let json = try XCTUnwrap(
        JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      XCTAssertEqual(json["text"] as? String, text)
      let p = try XCTUnwrap(json["probabilities"] as? [String: Double])
      XCTAssertEqual(Set(p.keys), ["alpha", "beta", "gamma"])
      XCTAssertEqual(p.values.reduce(0, +), 1, accuracy: 1e-5)
      XCTAssertEqual(json["label"] as? String, p.max { $0.value < $1.value }?.key)
    }
    try checkRefusals(of: run)

    // Under launch/ddp the texts on standard input reach rank 0, which alone prints.
    try requireMPIRun()
    let script = packageRoot.appendingPathComponent("launch/ddp").path
    let piped = try runProcess(
      "/bin/sh",
      [
        "-c",
        "printf '\(texts[0])\\n\(texts[1])\\n' | DDP_EXECUTABLE='\(ddpExecutable)' "
          + "bash '\(script)' -np 2 classify --checkpoint '\(run)'",
      ])
    XCTAssertEqual(piped.status, 0, piped.stderr)
    XCTAssertEqual(
      piped.stdout.split(separator: "\n").compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
      }.map { $0["text"] as? String }, texts)
  }

  /// What a classifier run refuses, each in one line with exit code 2: the commands that need
  /// a language model, and standard input that is binary or without end.
  func checkRefusals(of run: String) throws {
    let cases: [([String], String?, String)] = [
      (["sample", "--checkpoint", run], nil, "ddp sample needs a language model"),
      (["probe", "--checkpoint", run, "--batches", "1"], nil, "ddp probe needs a language model"),
      (["classify", "--checkpoint", run], "/dev/zero", "is binary, not text: it has a NUL byte"),
      (["classify", "--checkpoint", run], "/bin/sh", "is binary, not text"),
      (["classify", "--checkpoint", run], "/dev/null", "nothing to classify"),
    ]
    for (arguments, input, expected) in cases {
      let quoted = ([ddpExecutable] + arguments).map { "'\($0)'" }.joined(separator: " ")
      let started = Date()
      let outcome = try runProcess(
        "/bin/sh", ["-c", "exec \(quoted) < \(input ?? "/dev/null")"])
      let label = "\(arguments) < \(input ?? "/dev/null")"
      XCTAssertEqual(outcome.status, 2, label)
      XCTAssertLessThan(Date().timeIntervalSince(started), refusalSeconds, label)
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
      XCTAssertTrue(outcome.stderr.contains(expected), "\(label): \(outcome.stderr)")
    }
  }

  /// Unknown and empty class files, and a classifier without classes, end 1 and 2 workers with
  /// exit code 2 and one line naming the problem, leaving no run directory.
  func testBadClassesAreRefusedInOneLine() throws {
    try requireMPIRun()
    let cases = [
      (try config(classes: "alpha,nope"), "data.classes names \"nope\", which is not a file"),
      (try config(classes: "alpha,empty"), "class \"empty\" has no documents"),
      (try config(classes: "alpha"), "data.classes = \"alpha\" is not allowed; expected two"),
      (
        try config(classes: "alpha,,beta"),
        "expected comma-separated file names, none of them empty"
      ),
      (
        try config(classes: "alpha,beta, "),
        "expected comma-separated file names, none of them empty"
      ),
    ]
    for (path, expected) in cases {
      for workers in [1, 2] {
        let out = work.appendingPathComponent("bad-\(UUID().uuidString)").path
        let (outcome, seconds) = try runWorkers(
          workers, ["train", "--config", path, "--out", out])
        let label = "\(expected), \(workers) workers"
        XCTAssertEqual(outcome.status, 2, label)
        XCTAssertLessThan(seconds, refusalSeconds, label)
        XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains(expected), outcome.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), label)
      }
    }
  }
}
