import Foundation
import XCTest

/// The longest a refusal may take, mpirun start-up included (about 1-2 s here for 2 workers).
let refusalSeconds = 10.0

/// Bad input of every kind (config, command line, data, checkpoints), each run with 1 worker and
/// with 2 (`mpirun -np 2`): exit code 2 within 10 s, exactly one line on standard error naming
/// the problem (printed once, not once per rank), and no run directory left behind.
final class BadInputTests: XCTestCase {
  static let cases: [BadInput] = [
    // MARK: Config file
    BadInput(
      name: "unknown key", arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "[model]\nd_modle = 16\n", expected: "unknown key model.d_modle"),
    BadInput(
      name: "unknown section", arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "[modle]\nd_model = 16\n", expected: "unknown section [modle]"),
    BadInput(
      name: "key outside any section",
      arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "steps = 2\n[model]\nd_model = 16\n", expected: "steps = 2 is outside any section"),
    BadInput(
      name: "wrong type", arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "[model]\nd_model = \"sixteen\"\n", expected: "model.d_model = \"sixteen\""),
    BadInput(
      name: "TOML syntax error", arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "[model\nd_model = 16\n", expected: "line 1, column 7: TOML syntax error"),
    // toml++ aborted the process on this one (assertion in parse_key), found by launch/fuzz.
    BadInput(
      name: "line break in a table header",
      arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "[\nmodel]\nd_model = 16\n", expected: "expected a table name after '['"),
    BadInput(
      name: "NaN learning rate in the file",
      arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "[train]\nlr = nan\n", expected: "train.lr = nan"),

    // MARK: Values given with --set
    BadInput(
      name: "zero d_model", arguments: good(["--set", "model.d_model=0"]),
      expected: "model.d_model = 0"),
    BadInput(
      name: "negative n_layers", arguments: good(["--set", "model.n_layers=-1"]),
      expected: "model.n_layers = -1"),
    BadInput(
      name: "zero context", arguments: good(["--set", "model.context=0"]),
      expected: "model.context = 0"),
    BadInput(
      name: "zero batch", arguments: good(["--set", "train.batch=0"]),
      expected: "train.batch = 0"),
    BadInput(
      name: "negative steps", arguments: good(["--set", "train.steps=-5"]),
      expected: "train.steps = -5"),
    BadInput(
      name: "d_model not divisible by n_heads",
      arguments: good(["--set", "model.d_model=18", "--set", "model.n_heads=4"]),
      expected: "multiple of model.n_heads"),
    BadInput(
      name: "unknown norm", arguments: good(["--set", "model.norm=groupnorm"]),
      expected: "model.norm = \"groupnorm\""),
    BadInput(
      name: "unknown placement", arguments: good(["--set", "model.placement=middle"]),
      expected: "model.placement = \"middle\""),
    BadInput(
      name: "unknown attention", arguments: good(["--set", "model.attention=sparse"]),
      expected: "model.attention = \"sparse\""),
    BadInput(
      name: "NaN learning rate", arguments: good(["--set", "train.lr=nan"]),
      expected: "train.lr = nan"),
    BadInput(
      name: "validation fraction of 1.5", arguments: good(["--set", "data.val_fraction=1.5"]),
      expected: "data.val_fraction = 1.5"),
    BadInput(
      name: "zero collective timeout", arguments: good(["--set", "distributed.timeout_s=0"]),
      expected: "distributed.timeout_s = 0.0 is not allowed; expected seconds, a number >= 0.1"),
    BadInput(
      name: "infinite collective timeout",
      arguments: good(["--set", "distributed.timeout_s=inf"]),
      expected: "distributed.timeout_s = inf"),
    BadInput(
      name: "collective timeout over a day",
      arguments: good(["--set", "distributed.timeout_s=86401"]),
      expected: "distributed.timeout_s = 86401.0 is not allowed; expected seconds, a number >= 0.1 "
        + "and <= 86400.0 (one day)"),
    BadInput(
      name: "batch not divisible by 2 workers", arguments: good(["--set", "train.batch=3"]),
      expected: "train.batch = 3", badForOneWorker: false),
    BadInput(
      name: "--set without =", arguments: good(["--set", "model.d_model"]),
      expected: "--set \"model.d_model\" is malformed"),

    // MARK: Command line
    BadInput(name: "unknown flag", arguments: good(["--bogus"]), expected: "'--bogus'"),
    BadInput(
      name: "missing config file",
      arguments: ["train", "--config", "$WORK/nonexistent.toml", "--out", "$OUT"],
      expected: "nonexistent.toml\": No such file"),
    BadInput(
      name: "no --config", arguments: ["train", "--out", "$OUT"],
      expected: "--config FILE is required"),
    BadInput(
      name: "zero threads", arguments: good(["--threads", "0"]),
      expected: "--threads must be in 1...1024, got 0"),
    BadInput(
      name: "--stop-at 0", arguments: good(["--stop-at", "0"]),
      expected: "--stop-at must be a positive step"),
    BadInput(
      name: "--resume of a missing run", arguments: ["train", "--out", "$OUT", "--resume"],
      expected: "config.toml\": No such file"),
    // A negative number is a value, not an option (it used to read as "Missing value").
    BadInput(
      name: "negative --stop-at", arguments: good(["--stop-at", "-5"]),
      expected: "--stop-at must be a positive step, got -5"),
    BadInput(
      name: "negative threads", arguments: good(["--threads", "-2"]),
      expected: "--threads must be in 1...1024, got -2"),
    BadInput(
      name: "probe: negative batches",
      arguments: ["probe", "--config", "$WORK/good.toml", "--batches", "-1"],
      expected: "--batches must be in 1...100000, got -1"),
    BadInput(
      name: "probe: zero batch",
      arguments: ["probe", "--config", "$WORK/good.toml", "--batch", "0"],
      expected: "--batch must be in 1...1000000, got 0"),
    BadInput(
      name: "probe: a config and a checkpoint",
      arguments: ["probe", "--config", "$WORK/good.toml", "--checkpoint", "$WORK/valid"],
      expected: "give one of --config and --checkpoint"),
    BadInput(
      name: "probe: a missing checkpoint",
      arguments: ["probe", "--checkpoint", "$WORK/nonexistent"],
      expected: "nonexistent"),

    // MARK: Data
    BadInput(
      name: "missing data", arguments: good(["--set", "data.path=$WORK/nonexistent"]),
      expected: "nonexistent\": No such file"),
    BadInput(
      name: "empty data file", arguments: good(["--set", "data.path=$WORK/empty.txt"]),
      expected: "empty.txt\" holds no text"),
    BadInput(
      name: "binary data file", arguments: good(["--set", "data.path=$WORK/binary.bin"]),
      expected: "binary.bin\" is binary"),
    BadInput(
      name: "data shorter than one window",
      arguments: good(["--set", "data.path=$WORK/short.txt"]),
      expected: "fewer than one context window"),
    BadInput(
      name: "data folder without text files",
      arguments: good(["--set", "data.path=$WORK/no-text"]), expected: "holds no text files"),
    BadInput(
      name: "ranks reading different data for the same data.path",
      arguments: ["train", "--config", "$WORK/ranks.toml", "--out", "$OUT"],
      expected: "rank 1 read different data from rank 0 for data.path = \"corpus\"",
      badForOneWorker: false, rankDirectories: true),
    BadInput(
      name: "--resume after the data file changed",
      arguments: ["train", "--out", "$WORK/changed", "--resume", "--set", "train.steps=4"],
      expected: "changing.txt\" changed since the run's checkpoint was written"),

    // MARK: Checkpoints (resumed runs; `valid` is intact, the others hold damaged copies)
    BadInput(
      name: "truncated checkpoint", arguments: ["train", "--out", "$WORK/cut", "--resume"],
      expected: "is truncated"),
    BadInput(
      name: "checkpoint with a flipped bit",
      arguments: ["train", "--out", "$WORK/bit", "--resume"], expected: "checksum mismatch"),
    BadInput(
      name: "checkpoint of another shape",
      arguments: ["train", "--out", "$WORK/valid", "--resume", "--set", "model.d_model=32"],
      expected: "wte.weight is (256, 16)"),
    BadInput(
      name: "checkpoint of another norm kind (rmsnorm)",
      arguments: ["train", "--out", "$WORK/valid", "--resume", "--set", "model.norm=rmsnorm"],
      expected: "written for a different model"),
    BadInput(
      name: "checkpoint of another norm kind (batchnorm)",
      arguments: ["train", "--out", "$WORK/valid", "--resume", "--set", "model.norm=batchnorm"],
      expected: "written for a different model"),

    // MARK: train.init_from (a fresh run starting from another run's weights)
    BadInput(
      name: "init_from a missing file", arguments: good(["--set", "train.init_from=$WORK/none"]),
      expected: "train.init_from: checkpoint: cannot read"),
    BadInput(
      name: "init_from a run of another shape",
      arguments: good(["--set", "train.init_from=$WORK/valid", "--set", "model.d_model=32"]),
      expected: "train.init_from: tensor wte.weight has shape (256, 16) in"),
    BadInput(
      name: "init_from a run whose only checkpoint is damaged",
      arguments: good(["--set", "train.init_from=$WORK/bit"]),
      expected: "train.init_from: checkpoint:"),
    BadInput(
      name: "init_from a file that holds no weights",
      arguments: good(["--set", "train.init_from=$WORK/good.toml"]),
      expected: "is not a checkpoint (it does not start with DDPCKPT1)"),

    // MARK: Resumes that would continue a different run
    BadInput(
      name: "--resume changing the learning rate",
      arguments: ["train", "--out", "$WORK/valid", "--resume", "--set", "train.lr=0.01"],
      expected: "train.lr = 0.01 is not allowed"),
    BadInput(
      name: "--resume changing the data",
      arguments: ["train", "--out", "$WORK/valid", "--resume", "--set", "data.val_fraction=0.3"],
      expected: "data.val_fraction = 0.3 is not allowed"),
    BadInput(
      name: "--resume with --stop-at before the checkpoint",
      arguments: [
        "train", "--out", "$WORK/valid", "--resume", "--set", "train.steps=4", "--stop-at", "1",
      ], expected: "--stop-at 1 is not after step 2"),

    // MARK: Sizes that overflow or do not fit in memory (refused before any allocation)
    BadInput(
      name: "d_model of 2^62", arguments: good(["--set", "model.d_model=4611686018427387904"]),
      expected: "overflow 64-bit integers"),
    BadInput(
      name: "batch of 2^62",
      arguments: good(["--set", "train.batch=4611686018427387904"]),
      expected: "overflow 64-bit integers"),
    BadInput(
      name: "eval_batches of Int.max",
      arguments: good(["--set", "train.eval_batches=9223372036854775807"]),
      expected: "overflow 64-bit integers"),
    BadInput(
      name: "d_model of 10^8", arguments: good(["--set", "model.d_model=100000000"]),
      expected: "GB available"),
    BadInput(
      name: "a billion layers", arguments: good(["--set", "model.n_layers=1000000000"]),
      expected: "GB available"),
    BadInput(
      name: "memory_limit_gb below the estimate",
      arguments: good(["--set", "train.memory_limit_gb=0.0001"]),
      expected: "more than train.memory_limit_gb = 0.0001 allows"),
    BadInput(
      name: "memory_limit_gb of 0", arguments: good(["--set", "train.memory_limit_gb=0"]),
      expected: "train.memory_limit_gb = 0.0 is not allowed"),
    BadInput(
      name: "memory_limit_gb of -1", arguments: good(["--set", "train.memory_limit_gb=-1"]),
      expected: "train.memory_limit_gb = -1.0 is not allowed"),
    BadInput(
      name: "memory_limit_gb of nan", arguments: good(["--set", "train.memory_limit_gb=nan"]),
      expected: "train.memory_limit_gb = nan is not allowed"),
    BadInput(
      name: "memory_limit_gb as a string",
      arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "[train]\nmemory_limit_gb = \"8GB\"\n",
      expected: "train.memory_limit_gb = \"8GB\" has the wrong type"),
    BadInput(
      name: "bench of a model that cannot fit",
      arguments: [
        "bench", "--config", "$WORK/good.toml", "--set", "model.d_model=16384",
        "--set", "model.n_layers=48",
      ], expected: "GB available"),
    BadInput(
      name: "eval with a batch of 2^62",
      arguments: ["eval", "--checkpoint", "$WORK/valid", "--batch", "4611686018427387904"],
      expected: "overflow 64-bit integers"),
    BadInput(
      name: "eval --episodes 2^63 - 1 (ran for ever)",
      arguments: ["eval", "--checkpoint", "$WORK/valid", "--episodes", "9223372036854775807"],
      expected: "--episodes must be between 1 and 10000000, got 9223372036854775807"),
    BadInput(
      name: "eval --episodes past the most",
      arguments: ["eval", "--checkpoint", "$WORK/valid", "--episodes", "10000001"],
      expected: "--episodes must be between 1 and 10000000"),
    BadInput(
      name: "eval --episodes 0",
      arguments: ["eval", "--checkpoint", "$WORK/valid", "--episodes", "0"],
      expected: "--episodes must be between 1 and 10000000, got 0"),
    BadInput(
      name: "eval --episodes of a language model (was ignored)",
      arguments: ["eval", "--checkpoint", "$WORK/valid", "--episodes", "5"],
      expected: "--episodes 5 is for recall runs scored on new episodes (data.recall_pairs > 0, "
        + "no --data); this run is scored on its validation split"),
    BadInput(
      name: "eval with a batch of 10^8",
      arguments: ["eval", "--checkpoint", "$WORK/valid", "--batch", "100000000"],
      expected: "GB available"),

    // MARK: Paths that are not what they must be
    BadInput(
      name: "report over the run's own metrics.jsonl",
      arguments: ["report", "$WORK/valid", "--out", "$WORK/valid/metrics.jsonl"],
      expected: "metrics.jsonl is a training run's own file (its folder holds a run)"),
    BadInput(
      name: "report as CSV over the run's next checkpoint name",
      arguments: [
        "report", "$WORK/valid", "--format", "csv", "--out", "$WORK/valid/checkpoint-00000009.ckpt",
      ], expected: "checkpoint-00000009.ckpt is a training run's own file"),
    BadInput(
      name: "probe over its own config",
      arguments: ["probe", "--config", "$WORK/good.toml", "--out", "$WORK/./good.toml"],
      expected: "good.toml\": it is an input of this command; choose another path"),
    BadInput(
      name: "export --force over the checkpoint it reads",
      arguments: [
        "export", "--checkpoint", "$WORK/valid/checkpoint-00000002.ckpt", "--output",
        "$WORK/valid/checkpoint-00000002.ckpt", "--force",
      ], expected: "it is an input of this command"),
    BadInput(
      name: "bench generate's chart over a run's config",
      arguments: ["bench", "generate", "--context", "64", "--svg", "$WORK/valid/config.toml"],
      expected: "config.toml is a training run's own file"),
    BadInput(
      name: "--out under a regular file",
      arguments: good([]).map {
        $0 == "$OUT" ? "$WORK/good.toml/run" : $0
      }, expected: "\"$WORK/good.toml\": it exists and is not a directory"),
    BadInput(
      name: "--out holding another run's checkpoints",
      arguments: ["train", "--config", "$WORK/good.toml", "--out", "$WORK/foreign"],
      expected: "holds files of another run (\"$WORK/foreign/checkpoint-00000002.ckpt\")"),
    BadInput(
      name: "--out holding another run's metrics.jsonl",
      arguments: ["train", "--config", "$WORK/good.toml", "--out", "$WORK/foreign-metrics"],
      expected: "holds files of another run (\"$WORK/foreign-metrics/metrics.jsonl\")"),
    BadInput(
      name: "--out holding another run's summary.json",
      arguments: ["train", "--config", "$WORK/good.toml", "--out", "$WORK/foreign-summary"],
      expected: "holds files of another run (\"$WORK/foreign-summary/summary.json\")"),
    // A dry run refuses what the run would refuse.
    BadInput(
      name: "--dry-run into another run's history",
      arguments: [
        "train", "--config", "$WORK/good.toml", "--out", "$WORK/foreign-metrics", "--dry-run",
      ],
      expected: "holds files of another run (\"$WORK/foreign-metrics/metrics.jsonl\")"),
    BadInput(
      name: "--dry-run with a missing init_from",
      arguments: good(["--set", "train.init_from=$WORK/nonexistent.safetensors", "--dry-run"]),
      expected: "train.init_from: checkpoint: cannot read"),
    BadInput(
      name: "--resume of a finished run", arguments: ["train", "--out", "$WORK/valid", "--resume"],
      expected: "the run in \"$WORK/valid\" already finished (step 2 of 2)"),
    BadInput(
      name: "a 100000-character value in the config",
      arguments: ["train", "--config", "$CONFIG", "--out", "$OUT"],
      config: "[model]\nnote = \"" + String(repeating: "a", count: 100_000) + "\"\n",
      expected: "characters left out"),
    BadInput(
      name: "data that is a FIFO", arguments: good(["--set", "data.path=$WORK/fifo"]),
      expected: "fifo\" is neither a file nor a directory"),
    BadInput(
      name: "eval of a FIFO checkpoint",
      arguments: ["eval", "--checkpoint", "$WORK/fifo"], expected: "fifo\": not a regular file"),
    BadInput(
      name: "export over an existing file",
      arguments: ["export", "--checkpoint", "$WORK/valid", "--output", "$WORK/good.toml"],
      expected: "good.toml\": it exists (use --force to replace it)"),
    BadInput(
      name: "export over a FIFO",
      arguments: ["export", "--checkpoint", "$WORK/valid", "--output", "$WORK/fifo", "--force"],
      expected: "fifo\": it is not a regular file"),
    BadInput(
      name: "export over a device",
      arguments: ["export", "--checkpoint", "$WORK/valid", "--output", "/dev/null", "--force"],
      expected: "/dev/null\": it is not a regular file"),
    BadInput(
      name: "export over a symbolic link",
      arguments: [
        "export", "--checkpoint", "$WORK/valid", "--output", "$WORK/link.safetensors", "--force",
      ], expected: "it is a symbolic link"),
    BadInput(
      name: "export into a directory",
      arguments: ["export", "--checkpoint", "$WORK/valid", "--output", "$WORK/no-text", "--force"],
      expected: "no-text\": it is a directory"),
    // MARK: Values the parser took for the wrong thing, and sizes past any machine
    BadInput(
      name: "--out followed by a flag",
      arguments: ["train", "--config", "$WORK/good.toml", "--out", "--dry-run"],
      expected: "--out needs a value, but the next word is the option --dry-run"),
    BadInput(
      name: "--output followed by a flag",
      arguments: ["export", "--checkpoint", "$WORK/valid", "--output", "--force"],
      expected: "--output needs a value, but the next word is the option --force"),
    BadInput(
      name: "an empty --out", arguments: ["train", "--config", "$WORK/good.toml", "--out", ""],
      expected: "--out needs a value, got an empty one"),
    BadInput(
      name: "an empty --checkpoint=", arguments: ["eval", "--checkpoint="],
      expected: "--checkpoint= has nothing after '='"),
    BadInput(
      name: "an option swallowed with its own value",
      arguments: ["eval", "--checkpoint", "--batch", "4"],
      expected: "--checkpoint needs a value, but the next word is the option --batch"),
    BadInput(
      name: "bucket_mb of 1e308", arguments: good(["--set", "distributed.bucket_mb=1e308"]),
      expected: "distributed.bucket_mb = 1e+308 is not allowed"),
    BadInput(
      name: "d_model of Int.max with one head",
      arguments: good([
        "--set", "model.n_heads=1", "--set", "model.d_model=9223372036854775807",
      ]), expected: "overflow 64-bit integers"),
    BadInput(
      name: "bench with Int.max steps",
      arguments: ["bench", "--config", "$WORK/good.toml", "--steps", "9223372036854775807"],
      expected: "--steps must be in 1...100000"),
    BadInput(
      name: "bench norms with a 1 TB tensor",
      arguments: ["bench", "norms", "--rows", "16777216", "--channels", "65536"],
      expected: "16777216 rows x 65536 channels is more than 67108864 floats"),
    BadInput(
      name: "bench generate naming a kind twice",
      arguments: ["bench", "generate", "--kinds", "linear,linear", "--context", "64"],
      expected: "--kinds names linear twice"),
    BadInput(
      name: "bench attention past the memory",
      arguments: [
        "bench", "attention", "--config", "$WORK/good.toml", "--set", "model.context=100000",
      ],
      expected: "GB available"),
    BadInput(
      name: "model-cost with an overflowing alpha",
      arguments: ["model-cost", "--config", "$WORK/good.toml", "--alpha-us", "1e308"],
      expected: "--alpha-us must be a number in [0, 1e9], got 1e+308"),
    BadInput(
      name: "model-cost of a billion layers",
      arguments: [
        "model-cost", "--config", "$WORK/good.toml", "--set", "model.n_layers=1000000000",
      ],
      expected: "at most 10000 layers for ddp model-cost"),
    BadInput(
      name: "threads of Int.max", arguments: good(["--threads", "9223372036854775807"]),
      expected: "--threads must be in 1...1024"),
    BadInput(
      name: "sample with negative --tokens",
      arguments: ["sample", "--checkpoint", "$WORK/valid", "--tokens", "-5"],
      expected: "--tokens must be between 1 and 1000000, got -5"),
    BadInput(
      name: "sample with 10^12 tokens",
      arguments: ["sample", "--checkpoint", "$WORK/valid", "--tokens", "1000000000000"],
      expected: "--tokens must be between 1 and 1000000, got 1000000000000"),
    BadInput(
      name: "sample at infinite temperature",
      arguments: ["sample", "--checkpoint", "$WORK/valid", "--temperature", "inf"],
      expected: "--temperature must be a finite number ≥ 0, got inf"),
  ]

  /// `ddp train` with the fixture's valid config and a fresh run directory, then `extra`.
  static func good(_ extra: [String]) -> [String] {
    ["train", "--config", "$WORK/good.toml", "--out", "$OUT"] + extra
  }

  func testBadInputIsRefusedInOneLineWithExitCodeTwo() throws {
    try requireMPIRun()
    XCTAssertGreaterThanOrEqual(Self.cases.count, 25)
    let fixture = try BadInputFixture()
    defer { fixture.remove() }
    var failing: [String] = []
    for (index, input) in Self.cases.enumerated() {
      let config = fixture.path + "/case-\(index).toml"
      if let text = input.config {
        try (text + "[data]\npath = \"\(fixture.path)/corpus.txt\"\n")
          .write(toFile: config, atomically: true, encoding: .utf8)
      }
      for workers in [1, 2] {
        let out = fixture.path + "/out-\(index)-\(workers)"
        let arguments = fixture.arguments(of: input, out: out, config: config)
        // A folder that exists already (a resumed run's, another run's) must be left as it was.
        let resumed = arguments.firstIndex(of: "--out").map { arguments[$0 + 1] }.flatMap {
          FileManager.default.fileExists(atPath: $0) ? $0 : nil
        }
        let before = resumed.map(fixture.listing)
        let directories =
          input.rankDirectories ? (0..<workers).map { fixture.path + "/rank-\($0)" } : nil
        let (outcome, seconds) = try runWorkers(workers, arguments, directories: directories)
        let label = "\(input.name), \(workers) worker\(workers == 1 ? "" : "s")"
        if workers == 1 && !input.badForOneWorker {
          XCTAssertEqual(outcome.status, 0, "\(label) should train: \(outcome.stderr)")
          continue
        }
        let lines = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        var problems: [String] = []
        if outcome.status != 2 { problems.append("exit code \(outcome.status), not 2") }
        if seconds >= refusalSeconds { problems.append("took \(Int(seconds)) s") }
        if lines.count != 2 || lines[0].isEmpty || !lines[1].isEmpty {
          problems.append("standard error is \(lines.count - 1) lines, not one")
        }
        let expected = input.expected.replacingOccurrences(of: "$WORK", with: fixture.path)
        if !outcome.stderr.contains(expected) {
          problems.append("no \"\(expected)\" in the message")
        }
        if FileManager.default.fileExists(atPath: out) { problems.append("created \(out)") }
        if let resumed, fixture.listing(resumed) != before { problems.append("changed \(resumed)") }
        if !problems.isEmpty {
          failing.append(label)
          XCTFail(
            "\(label): " + problems.joined(separator: "; ") + "\n  args: \(arguments)\n"
              + "  stderr: \(outcome.stderr)")
        }
      }
    }
    if !failing.isEmpty {
      print("BadInputTests: failing cases: " + failing.joined(separator: "; "))
    }
  }
}
