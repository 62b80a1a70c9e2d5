import Config
import Foundation
import XCTest

/// `ddp export` writes the whole resolved config and the step into `__metadata__`, and the
/// README's Python snippet, run as printed, loads an export and rebuilds the config.
final class ExportMetadataTests: XCTestCase {
  var work: URL!

  override func setUpWithError() throws {
    guard
      (try? runProcess("/usr/bin/env", ["python3", "-c", "import safetensors, numpy, tomllib"]))?
        .status == 0
    else { throw XCTSkip("python3 (3.11+) with safetensors and numpy is not installed") }
    work = try temporaryWorkDirectory("ddp-export-metadata")
  }

  /// A run of 12 steps stopped after step 5, exported as `fortunes.safetensors` in `work`
  /// (the name the README's snippet loads).
  func exportStoppedRun() throws -> String {
    let corpus = work.appendingPathComponent("corpus.txt").path
    try writeMadeUpCorpus(to: corpus)
    let config = work.appendingPathComponent("run.toml").path
    try """
    [model]
    d_model = 32
    n_heads = 4
    n_layers = 2
    context = 16
    norm = "rmsnorm"
    [train]
    steps = 12
    batch = 4
    warmup = 3
    eval_every = 6
    eval_batches = 2
    [data]
    path = "\(corpus)"
    """.write(toFile: config, atomically: true, encoding: .utf8)
    let out = work.appendingPathComponent("run").path
    let train = try runDDP(["train", "--config", config, "--out", out, "--stop-at", "5"])
    XCTAssertEqual(train.status, 0, train.stderr)
    let model = work.appendingPathComponent("fortunes.safetensors").path
    let export = try runDDP(["export", "--checkpoint", out, "--output", model])
    XCTAssertEqual(export.status, 0, export.stderr)
    return out
  }

  /// The existing keys still satisfy Tests/python/check_safetensors.py; the new ones hold
  /// every key (JSON and the run's own config.toml text) and the step.
  func testMetadataHoldsTheFullConfigAndTheStep() throws {
    let out = try exportStoppedRun()
    let script = packageRoot.appendingPathComponent("Tests/python/check_safetensors.py").path
    let model = work.appendingPathComponent("fortunes.safetensors").path
    let check = try runProcess("/usr/bin/env", ["python3", script, model, "--require-config"])
    XCTAssertEqual(check.status, 0, check.stderr)
    let described = try lastJSONLine(check.stdout)
    let metadata = try XCTUnwrap(described["metadata"] as? [String: String])
    XCTAssertEqual(metadata["step"], "5")
    XCTAssertEqual(metadata["format"], "pt")
    XCTAssertEqual(
      metadata["config_toml"], try String(contentsOfFile: out + "/config.toml", encoding: .utf8))
    let full = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data((metadata["run_config"] ?? "").utf8))
        as? [String: [String: Any]])
    XCTAssertEqual(full.keys.sorted(), ["data", "distributed", "model", "train"])
    XCTAssertEqual(full["model"]?["norm"] as? String, "rmsnorm")
    XCTAssertEqual(full["train"]?["steps"] as? Int, 12)
    XCTAssertEqual(full["train"]?["lr"] as? Double, 1e-3)
    XCTAssertTrue(full["train"]?["memory_limit_gb"] is NSNull, "an unset key is null")
    let keys = full.values.map(\.count).reduce(0, +)
    XCTAssertEqual(keys, RunConfig.knownKeys.count, "every key of config.toml")
    let modelSection = try XCTUnwrap(described["config"] as? [String: Any])
    XCTAssertEqual(modelSection["d_model"] as? Int, 32)
  }

  /// The README's snippet (the ```python block that uses safe_open), run as printed with
  /// python3 beside an export, rebuilds the config and reads the step and the weights.
  func testReadmeSnippetLoadsAnExport() throws {
    _ = try exportStoppedRun()
    let readme = try String(
      contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let blocks = readme.components(separatedBy: "```python\n").dropFirst()
      .compactMap { $0.components(separatedBy: "```").first }
    let snippet = try XCTUnwrap(blocks.first { $0.contains("safe_open") }, "no snippet")
    XCTAssertLessThanOrEqual(snippet.split(separator: "\n").count, 5, snippet)
    let script = work.appendingPathComponent("snippet.py").path
    let check = [
      "import json",
      "print(json.dumps({'steps': config['train']['steps'], 'norm': config['model']['norm'],"
        + " 'step': step, 'wte': list(weights['wte.weight'].shape)}))",
    ]
    let lines = ["import os, sys", "os.chdir(sys.argv[1])", snippet] + check
    try lines.joined(separator: "\n").write(toFile: script, atomically: true, encoding: .utf8)
    let outcome = try runProcess("/usr/bin/env", ["python3", script, work.path])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let result = try lastJSONLine(outcome.stdout)
    XCTAssertEqual(result["steps"] as? Int, 12)
    XCTAssertEqual(result["norm"] as? String, "rmsnorm")
    XCTAssertEqual(result["step"] as? Int, 5)
    XCTAssertEqual(result["wte"] as? [Int], [256, 32])
  }
}
