import Foundation
import XCTest

/// Runs the built `ddp` executable, as a user would, and checks what it prints and returns.
final class CommandLineTests: XCTestCase {
  func run(_ arguments: [String]) throws -> Outcome { try runDDP(arguments) }

  let tiny = """
    [model]
    d_model = 32
    n_heads = 4
    n_layers = 2
    context = 16
    [train]
    batch = 4
    """

  /// `launch/test` sets OPENBLAS_CORETYPE from this (ddp's own choice, one place): one of
  /// the core types ddp picks from /proc/cpuinfo (flags, vendor, family), or nothing.
  func testBLASCoreTypeIsOneOfThePickedOnes() throws {
    let outcome = try run(["blas-coretype"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(["\n", "SkylakeX\n", "Haswell\n"].contains(outcome.stdout), outcome.stdout)
    let help = try run(["--help"])
    XCTAssertFalse(help.stdout.contains("blas-coretype"), "hidden from the help")
  }

  /// The summary, the phase breakdown and the per-shape table; the floor positive and below
  /// the median step; 3 GEMMs for each of the 4 Linear layers per block and for the head.
  func testBenchPrintsTableAndJSON() throws {
    let config = try writeConfig(tiny)
    let outcome = try run(["bench", "--config", config, "--steps", "2", "--warmup", "1"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    for line in [
      "OpenBLAS kernels", "GEMM floor ms/step", "step / floor",
      "reference: sgemm 1024³ alone GFLOP/s",
      "achieved / sgemm 1024³", "where a step goes", "  GEMM ", "  attention ", "  norms ",
      "  elementwise ", "  optimizer ", "  communication ", "  other ", "sgemm M×N×K op β",
      "64×96×32 A·Bᵀ β=1", "replay in step order", "CPU replay/alone",
      "GEMM floor, operands cold ms/step", "step / cold floor", "alone, cold",
    ] {
      XCTAssertTrue(outcome.stdout.contains(line), "\(line) in\n\(outcome.stdout)")
    }
    let shapeHeader = outcome.stdout.split(separator: "\n").first { $0.contains("sgemm M×N×K") }
    for column in ["alone ms", "step ms", "cold ms", "step/cold", "floor ms"] {
      XCTAssertTrue(shapeHeader?.contains(column) ?? false, "\(column): \(shapeHeader ?? "")")
    }
    XCTAssertFalse(outcome.stdout.contains("between steps"), outcome.stdout)
    // Head size 8 is no shape of the fused attention kernel: no attention products in the floor.
    XCTAssertFalse(outcome.stdout.contains("attention products"), outcome.stdout)
    let figures = try lastJSONLine(outcome.stdout)
    // 256·32 + 16·32 embeddings, 2 blocks of 12C² + 13C, final LayerNorm 2C.
    XCTAssertEqual(
      figures["parameters"] as? Int, 256 * 32 + 16 * 32 + 2 * (12 * 1024 + 13 * 32) + 64)
    XCTAssertEqual(figures["tokens_per_step"] as? Int, 4 * 16)
    for key in ["tokens_per_second", "ms_per_step", "gflops", "sgemm_alone_gflops", "floor_ms"] {
      XCTAssertGreaterThan(figures[key] as? Double ?? 0, 0, key)
    }
    let floorFigures = figures["floor"] as? [String: Any] ?? [:]
    for key in ["replay_cpums", "alone_mean_cpums"] {
      XCTAssertGreaterThan(floorFigures[key] as? Double ?? 0, 0, key)
    }
    let (floor, step) = (
      figures["floor_ms"] as? Double ?? 0, figures["ms_per_step"] as? Double ?? 0
    )
    XCTAssertLessThan(floor, step)
    XCTAssertEqual(figures["step_over_floor"] as? Double ?? 0, step / floor, accuracy: 1e-9)
    // The cold floor: the same shapes on operands from memory, its own ratio.
    let coldFloor = figures["cold_floor_ms"] as? Double ?? 0
    XCTAssertGreaterThan(coldFloor, 0)
    XCTAssertEqual(
      figures["step_over_cold_floor"] as? Double ?? 0, step / coldFloor, accuracy: 1e-9)
    let shapes = (figures["floor"] as? [String: Any])?["shapes"] as? [[String: Any]] ?? []
    XCTAssertEqual(shapes.compactMap { $0["calls_per_step"] as? Int }.reduce(0, +), 3 * (4 * 2 + 1))
    XCTAssertGreaterThan(figures["peak_resident_mb"] as? Double ?? 0, 0)
  }

  /// Head size 16 runs the fused attention kernel: its products, timed alone for every layer,
  /// join the floor in a second ratio; the JSON holds both, and the products' time at its top
  /// level as the `mpirun` bench's report does.
  func testBenchAddsTheFusedAttentionProductsToTheFloor() throws {
    let config = try writeConfig(tiny)
    let outcome = try run([
      "bench", "--config", config, "--set", "model.d_model=64", "--steps", "2", "--warmup", "1",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    for line in [
      "  + attention products alone", "step / (floor + attention products)", "products alone",
    ] {
      XCTAssertTrue(outcome.stdout.contains(line), "\(line) in\n\(outcome.stdout)")
    }
    let figures = try lastJSONLine(outcome.stdout)
    let floorFigures = figures["floor"] as? [String: Any] ?? [:]
    let products = floorFigures["attention_products"] as? [String: Any] ?? [:]
    XCTAssertEqual(products["layers"] as? Int, 2)
    assertAllProductsRatio(figures, attentionMS: products["floor_ms"] as? Double ?? 0)
    // The top-level key of the mpirun bench's report, the same figure.
    XCTAssertEqual(figures["attention_products_ms"] as? Double, products["floor_ms"] as? Double)
  }

  /// `ddp model-cost` with a given α and β: the ring formula for the gradients (one bucket at
  /// the default 25 MB), recursive doubling for the SyncBatchNorm statistics, to rounding.
  func testModelCostPredictsTheStatedFormulas() throws {
    let config = try writeConfig(tiny)
    let outcome = try run([
      "model-cost", "--config", config, "--workers", "2,4", "--alpha-us", "10", "--beta-ns", "1",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let records = outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    XCTAssertEqual(records.count, 2, outcome.stdout)
    let parameters = 256 * 32 + 16 * 32 + 2 * (12 * 1024 + 13 * 32) + 64
    let n = Double(4 * parameters)
    let (alpha, beta) = (10e-3, 1e-6)  // in ms and ms per byte
    for (record, p) in zip(records, [2.0, 4.0]) {
      XCTAssertEqual(record["gradient_bytes"] as? Int, 4 * parameters)
      XCTAssertEqual(record["gradient_calls"] as? Int, 1)
      // Ring: (p − 1)·α + 2(p − 1)/p · n·β.
      let ring = (p - 1) * alpha + 2 * (p - 1) / p * n * beta
      XCTAssertEqual(record["gradient_ms"] as? Double ?? 0, ring, accuracy: 1e-9)
      // Pre-LN, 2 blocks: 5 norm layers, 2 exchanges each of 4(2C + 1) and 8C bytes.
      XCTAssertEqual(record["syncbatchnorm_calls"] as? Int, 10)
      XCTAssertEqual(record["syncbatchnorm_bytes"] as? Int, 5 * (4 * 65 + 8 * 32))
      let doubling = log2(p) * (10 * alpha + Double(5 * (4 * 65 + 8 * 32)) * beta)
      XCTAssertEqual(record["syncbatchnorm_ms"] as? Double ?? 0, doubling, accuracy: 1e-9)
    }
  }

  /// Bad input: exit code 2 and exactly one line on standard error naming the problem.
  func testBadInputIsOneLineAndExitCodeTwo() throws {
    let config = try writeConfig(tiny)
    let trainingRun = URL(fileURLWithPath: config).deletingLastPathComponent()
      .appendingPathComponent("a-training-run-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: trainingRun, withIntermediateDirectories: true)
    try tiny.write(toFile: trainingRun + "/config.toml", atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: trainingRun) }
    let binary = trainingRun + "/binary.dat"
    try Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01]).write(to: URL(fileURLWithPath: binary))
    let experimentOut = trainingRun + "/experiment"
    let cases: [([String], String)] = [
      (["bench", "--config", config, "--set", "model.norm=batchnorn"], "model.norm"),
      (["bench", "--config", config, "--set", "model.n_heads=5"], "n_heads"),
      (["bench", "--config", config, "--set", "model.d_modle=64"], "d_modle"),
      (["bench", "--config", config, "--set", "model.context=0"], "model.context"),
      (["bench", "--config", "/nonexistent/run.toml"], "/nonexistent/run.toml"),
      // Every option takes the next word as its value, so a negative number or a dash
      // reaches the option's own check instead of "Missing value".
      (["bench", "norms", "--rows", "-5"], "--rows must be in 2...67108864, got -5"),
      (["bench", "generate", "--context", "-3"], "--context must be in 2...1048576, got -3"),
      (["bench", "--config", config, "--steps", "-1"], "--steps must be in 1...100000, got -1"),
      (["experiment", "depth", "--seeds", "-1"], "--seeds must be in 1...20, got -1"),
      (["experiment", "depth", "--workers", "-2"], "--workers must be in 1...64, got -2"),
      (["model-cost", "--config", config, "--workers", "-2"], "got \"-2\""),
      (
        ["model-cost", "--config", config, "--workers", "8,9223372036854775807"],
        "--workers takes counts up to 10000000 (past any cluster), got 9223372036854775807"
      ),
      (["model-cost", "--config", config, "--workers", "10000001"], "got 10000001"),
      (["compare", "--config", config, "--workers", "-1"], "got \"-1\""),
      (["train", "--config", config, "--set", "-x", "--dry-run"], "--set \"-x\" is malformed"),
      (["bench", "norms", "--rows", "--channels", "64"], "the next word is the option --channels"),
      // An empty folder was the file system's root: /points, /results.json, /jobs.
      (["compare", "--config", config, "--out", ""], "--out needs a value, got an empty one"),
      (["experiment", "depth", "--out", ""], "--out needs a value, got an empty one"),
      (["experiment", "depth", "--out="], "--out= has nothing after '='"),
      (["sample", "--checkpoint", "x", "--prompt=", "--seed"], "--prompt= has nothing after '='"),
      (["bench", "norms", "--rows", "--repeats", "3"], "the next word is the option --repeats"),
      (["compare", "--config", config, "--tolerance", "1", "--noise-factor", "5"], "not both"),
      (["compare", "--config", config, "--workers", "1,100000"], "more than 16 workers per core"),
      (
        ["compare", "--config", config, "--steps", "1099511627776"],
        "--steps must be in 1...1000000"
      ),
      (
        ["bench", "allreduce", "--iterations", "1099511627776"],
        "--iterations must be in 1...10000000"
      ),
      // A value's control characters are escaped: the line stays one line, naming it whole.
      (["experiment", "a\nb"], "unknown experiment \"a\\nb\""),
      (["experiment", "\u{1B}[31mRED"], "unknown experiment \"\\u001B[31mRED\""),
      (["compare", "--config", config, "--out", trainingRun], "holds a training run"),
      // An experiment reads its jobs' data before it makes its folder or starts a job.
      (
        ["experiment", "gradients", "--set", "data.path=\(binary)", "--out", experimentOut],
        "is binary, not text: it has a NUL byte at offset 4"
      ),
      (
        ["probe", "--config", config, "--out", "--batches"], "the next word is the option --batches"
      ),
      (
        [
          "bench", "context", "--contexts", "64", "--long", "9223372036854775807", "--tokens", "64",
        ],
        "--long must be integers in 1...1048576"
      ),
    ]
    for (arguments, mention) in cases {
      let outcome = try run(arguments)
      XCTAssertEqual(outcome.status, 2, "\(arguments): \(outcome.stderr)")
      let lines = outcome.stderr.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(arguments): \(outcome.stderr)")
      XCTAssertTrue(outcome.stderr.contains(mention), "\(arguments): \(outcome.stderr)")
      XCTAssertTrue(outcome.stdout.isEmpty, "\(arguments): \(outcome.stdout)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: experimentOut))
  }

  /// Arguments are read as UTF-8; one that is not (a Latin-1 path or prompt) would be decoded
  /// with U+FFFD in place of its bytes and name another file, so it is refused, before the
  /// re-exec that sets OPENBLAS_CORETYPE would pass the decoded form on.
  func testArgumentsThatAreNotUTF8AreRefused() throws {
    for (arguments, position) in [
      (#"train --config x --out "/tmp/o$(printf '\376')" --dry-run"#, 5),
      (#"sample --checkpoint x --prompt "$(printf 'caf\351')""#, 5),
    ] {
      let outcome = try runProcess(
        "/usr/bin/env",
        ["-u", "OPENBLAS_CORETYPE", "/bin/sh", "-c", "exec '\(ddpExecutable)' \(arguments)"])
      XCTAssertEqual(outcome.status, 2, arguments)
      XCTAssertEqual(
        outcome.stderr,
        "ddp: argument \(position) is not valid UTF-8 (ddp reads paths and texts as UTF-8)\n")
    }
  }

  func testHelpShowsAnExample() throws {
    let outcome = try run(["bench", "--help"])
    XCTAssertEqual(outcome.status, 0)
    XCTAssertTrue(outcome.stdout.contains("ddp bench --config configs/bench.toml"), outcome.stdout)
  }

  /// `ddp help WORDS` shows the named command's help, and refuses a word that names no command
  /// in one line with exit 2 (the parser printed the main help, exit 0, for a typo).
  func testHelpOfACommandThatDoesNotExistIsRefused() throws {
    for (words, overview) in [
      ([], "Data-parallel Transformer"), (["train"], "Train a language model"),
      (["bench", "norms"], "Time the normalization kernels"), (["help"], "Show subcommand help"),
    ] {
      let outcome = try run(["help"] + words)
      XCTAssertEqual(outcome.status, 0, "\(words): \(outcome.stderr)")
      XCTAssertTrue(outcome.stdout.hasPrefix("OVERVIEW: " + overview), outcome.stdout)
    }
    for (words, message) in [
      (["trian"], "help: \"trian\" is not a command of ddp; choose from train, eval, "),
      (["bench", "norm"], "help: \"norm\" is not a command of ddp bench; choose from model, "),
      (["train", "bogus"], "help: ddp train has no subcommands (\"bogus\")"),
      (["blas"], "help: \"blas\" is not a command of ddp"),
    ] {
      let outcome = try run(["help"] + words)
      XCTAssertEqual(outcome.status, 2, "\(words): \(outcome.stderr)")
      XCTAssertEqual(outcome.stdout, "", "\(words)")
      XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
      XCTAssertTrue(outcome.stderr.hasPrefix("ddp: " + message), outcome.stderr)
    }
  }

  /// `ddp compare` without --config reads the package's configs/compare.toml from any working
  /// folder: from /tmp a bad --set is refused naming the key (the config was found and read),
  /// not for a missing configs/compare.toml.
  func testCompareFindsItsDefaultConfigFromAnyFolder() throws {
    let outcome = try runProcess(
      "/usr/bin/env", ["-C", "/tmp", ddpExecutable, "compare", "--set", "train.batch=0"])
    XCTAssertEqual(outcome.status, 2, outcome.stderr)
    XCTAssertTrue(outcome.stderr.contains("train.batch"), outcome.stderr)
    XCTAssertFalse(outcome.stderr.contains("not found"), outcome.stderr)
  }

  /// `ddp --version` prints the one version constant (Sources/ddp/Version.swift).
  func testVersionPrints() throws {
    let outcome = try run(["--version"])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    let version = outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    XCTAssertNotNil(version.wholeMatch(of: /[0-9]+\.[0-9]+\.[0-9]+/), outcome.stdout)
  }

  /// Every example command in a `discussion:` (an indented line starting `ddp ` or `mpirun `
  /// in Sources/ddp) appears whole on one line of its help, as printed to a pipe (80
  /// columns), so it survives copy-paste.
  func testHelpExamplesAreNeverBrokenMidCommand() throws {
    let sources = packageRoot.appendingPathComponent("Sources/ddp")
    var examples: [String] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: sources.path)
    where name.hasSuffix(".swift") {
      let text = try String(contentsOf: sources.appendingPathComponent(name), encoding: .utf8)
      for line in text.split(separator: "\n")
      where line.hasPrefix("        ddp ") || line.hasPrefix("        mpirun ") {
        examples.append(line.trimmingCharacters(in: .whitespaces))
      }
    }
    XCTAssertGreaterThan(examples.count, 10, "examples found")
    let commands = try helpCommands()
    XCTAssertTrue(commands.contains(["bench", "norms"]), "\(commands)")
    var lines: Set<String> = []
    for command in commands {
      let help = try run(command + ["--help"])
      XCTAssertEqual(help.status, 0, "\(command): \(help.stderr)")
      for line in help.stdout.split(separator: "\n") {
        lines.insert(line.trimmingCharacters(in: .whitespaces))
      }
    }
    for example in examples {
      XCTAssertTrue(lines.contains(example), "broken or missing in --help: \(example)")
    }
  }

  /// Every command path whose help can be printed: the root, each subcommand listed under
  /// SUBCOMMANDS in the root's help, and one level of their own subcommands (`bench model`),
  /// read from the help itself so a new command cannot escape the example check.
  private func helpCommands() throws -> [[String]] {
    func subcommands(of path: [String]) throws -> [String] {
      let help = try run(path + ["--help"])
      XCTAssertEqual(help.status, 0, "\(path): \(help.stderr)")
      guard let start = help.stdout.range(of: "SUBCOMMANDS:\n") else { return [] }
      return help.stdout[start.upperBound...].split(separator: "\n").compactMap { line in
        guard line.hasPrefix("  "), !line.hasPrefix("   "), !line.contains("'ddp help") else {
          return nil
        }
        return line.split(separator: " ").first.map(String.init)
      }
    }
    var commands: [[String]] = [[]]
    for name in try subcommands(of: []) where name != "help" {
      commands.append([name])
      for inner in try subcommands(of: [name]) { commands.append([name, inner]) }
    }
    return commands
  }

  /// `ddp bench norms`: one table line per width and one JSON record per kernel and width.
  func testBenchNormsPrintsTableAndJSON() throws {
    let outcome = try run([
      "bench", "norms", "--rows", "64", "--channels", "16,40", "--repeats", "2",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.stderr)
    XCTAssertTrue(outcome.stdout.contains("RMS/LN speedup fwd+bwd"), outcome.stdout)
    let records = try lastJSONRecords(outcome.stdout)
    XCTAssertEqual(records.count, 6, outcome.stdout)
    XCTAssertEqual(
      Set(records.compactMap { $0["kind"] as? String }), ["layernorm", "rmsnorm", "batchnorm"])
    for record in records {
      for key in ["forward_ns", "backward_ns", "forward_median_ns", "backward_median_ns"] {
        XCTAssertGreaterThan(record[key] as? Double ?? 0, 0, key)
      }
    }
    // With a config: its rows (4 × 16) and width (32), and the norms' milliseconds per step.
    let config = try writeConfig(tiny)
    let shaped = try run(["bench", "norms", "--config", config, "--repeats", "2"])
    XCTAssertEqual(shaped.status, 0, shaped.stderr)
    XCTAssertTrue(shaped.stdout.contains("ddp bench norms: 64 rows"), shaped.stdout)
    XCTAssertTrue(shaped.stdout.contains("5 norm layers x 64 rows"), shaped.stdout)
    let shapedRecords = try lastJSONRecords(shaped.stdout)
    XCTAssertEqual(shapedRecords.compactMap { $0["channels"] as? Int }, [32, 32, 32])
    let bad = try run(["bench", "norms", "--channels", "64,x"])
    XCTAssertEqual(bad.status, 2, bad.stderr)
    XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    XCTAssertTrue(bad.stderr.contains("--channels"), bad.stderr)
  }

  /// `ddp bench` takes its OpenBLAS threads from OPENBLAS_NUM_THREADS when --threads is not
  /// given (the tests set 1), and --threads overrides it.
  func testBenchThreadsFollowTheEnvironmentUnlessGiven() throws {
    let config = try writeConfig(tiny)
    let arguments = ["bench", "--config", config, "--steps", "1", "--warmup", "0"]
    let fromEnvironment = try runProcess(
      "/usr/bin/env", ["OPENBLAS_NUM_THREADS=1", ddpExecutable] + arguments)
    XCTAssertEqual(fromEnvironment.status, 0, fromEnvironment.stderr)
    let figures = try lastJSONLine(fromEnvironment.stdout)
    XCTAssertEqual(figures["threads"] as? Int, 1)
    XCTAssertEqual(figures["threads_source"] as? String, "OPENBLAS_NUM_THREADS")
    let given = try runProcess(
      "/usr/bin/env", ["OPENBLAS_NUM_THREADS=1", ddpExecutable] + arguments + ["--threads", "2"])
    XCTAssertEqual(given.status, 0, given.stderr)
    XCTAssertEqual(try lastJSONLine(given.stdout)["threads"] as? Int, 2)
    XCTAssertEqual(try lastJSONLine(given.stdout)["threads_source"] as? String, "--threads")
  }

  /// `ddp bench` names the OpenBLAS kernels it ran and what chose them: its own pick for this
  /// CPU (`ddp blas-coretype`) when OPENBLAS_CORETYPE is unset, the variable's when set.
  func testBenchNamesItsBLASKernels() throws {
    let config = try writeConfig(tiny)
    let arguments = ["bench", "--config", config, "--steps", "1", "--warmup", "0"]
    let unset = ["-u", "OPENBLAS_CORETYPE", "-u", "DDP_BLAS_REEXEC"]
    let picked = try runProcess("/usr/bin/env", unset + [ddpExecutable, "blas-coretype"])
    XCTAssertEqual(picked.status, 0, picked.stderr)
    let pick = picked.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let own = try runProcess("/usr/bin/env", unset + [ddpExecutable] + arguments)
    XCTAssertEqual(own.status, 0, own.stderr)
    let ownFigures = try lastJSONLine(own.stdout)
    let ownSource = ownFigures["blas_core_source"] as? String ?? ""
    XCTAssertTrue(own.stdout.contains("OpenBLAS kernels"), own.stdout)
    if pick.isEmpty {
      XCTAssertEqual(ownSource, "OpenBLAS's own pick")
    } else {
      XCTAssertEqual(ownFigures["blas_core"] as? String, pick)
      XCTAssertTrue(ownSource.hasPrefix("picked by ddp for "), ownSource)
      // Set beforehand to the same name, as launch/test does.
      let same = try runProcess(
        "/usr/bin/env", unset + ["OPENBLAS_CORETYPE=\(pick)", ddpExecutable] + arguments)
      XCTAssertEqual(same.status, 0, same.stderr)
      let sameSource = try lastJSONLine(same.stdout)["blas_core_source"] as? String ?? ""
      XCTAssertTrue(sameSource.hasPrefix("OPENBLAS_CORETYPE, as ddp picks for "), sameSource)
    }
    // Prescott (SSE3) runs on every x86-64 CPU and is no pick of ddp's.
    let set = try runProcess(
      "/usr/bin/env", unset + ["OPENBLAS_CORETYPE=Prescott", ddpExecutable] + arguments)
    XCTAssertEqual(set.status, 0, set.stderr)
    let setFigures = try lastJSONLine(set.stdout)
    XCTAssertEqual(setFigures["blas_core"] as? String, "Prescott")
    XCTAssertEqual(setFigures["blas_core_source"] as? String, "OPENBLAS_CORETYPE")
    // A name OpenBLAS does not know: its own pick runs, and the report says so.
    let unknown = try runProcess(
      "/usr/bin/env", unset + ["OPENBLAS_CORETYPE=NoSuchCore", ddpExecutable] + arguments)
    XCTAssertEqual(unknown.status, 0, unknown.stderr)
    let unknownFigures = try lastJSONLine(unknown.stdout)
    XCTAssertNotEqual(unknownFigures["blas_core"] as? String, "NoSuchCore")
    XCTAssertEqual(
      unknownFigures["blas_core_source"] as? String,
      "OpenBLAS's own pick; OPENBLAS_CORETYPE=NoSuchCore not used")
  }
}
