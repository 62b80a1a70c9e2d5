import Foundation
import XCTest

/// One bad-input case of ``BadInputTests``: a `ddp` command line that must be refused.
///
/// In `arguments`, `$WORK` stands for the case folder (see ``BadInputFixture``), `$OUT` for a
/// run directory that does not exist yet and must not exist afterwards, and `$CONFIG` for a
/// file holding `config`.
struct BadInput {
  var name: String
  var arguments: [String]
  /// The text of `$CONFIG`, when the case has its own config file.
  var config: String? = nil
  /// A part of the one line the refusal must print.
  var expected: String
  /// False for input that is bad only for several workers (the 1-worker run must succeed).
  var badForOneWorker = true
  /// Rank r starts in `$WORK/rank-r` (mpirun `-wdir`, one app context per rank), where the
  /// relative `data.path = "corpus"` of `$WORK/ranks.toml` names a different folder per rank,
  /// as per-host copies of a corpus do.
  var rankDirectories = false
}

/// The files the bad-input cases point at, in one temporary folder: a small corpus, a valid
/// config for it, bad data files, and a tiny trained run with damaged copies of it.
final class BadInputFixture {
  let work: URL
  var path: String { work.path }

  init() throws {
    work = try makeWorkDirectory("ddp-bad-input")
    try writeCorpus()
    try validConfig.write(toFile: path + "/good.toml", atomically: true, encoding: .utf8)
    try Data().write(to: work.appendingPathComponent("empty.txt"))
    var random = UInt64(7)
    let binary = (0..<4096).map { _ in
      random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: random >> 56)
    }
    try Data([0x7F, 0x45, 0x4C, 0x46, 0x00] + binary).write(
      to: work.appendingPathComponent("binary.bin"))
    try "ten bytes!".write(toFile: path + "/short.txt", atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(
      atPath: path + "/no-text", withIntermediateDirectories: false)
    try trainValidRun()
    try writeRankCorpora()
    try trainChangedRun()
    // Paths that are not regular files, and a folder with another run's checkpoint only.
    guard mkfifo(path + "/fifo", 0o600) == 0 else { throw FixtureError("cannot make a FIFO") }
    try FileManager.default.createSymbolicLink(
      atPath: path + "/link.safetensors", withDestinationPath: path + "/good.toml")
    try FileManager.default.createDirectory(
      atPath: path + "/foreign", withIntermediateDirectories: false)
    try FileManager.default.copyItem(
      atPath: path + "/valid/checkpoint-00000002.ckpt",
      toPath: path + "/foreign/checkpoint-00000002.ckpt")
    // Folders with another run's history only: a new run would append to it or replace it.
    for name in ["metrics.jsonl", "summary.json"] {
      let folder = path + "/foreign-" + name.prefix { $0 != "." }
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
      try FileManager.default.copyItem(atPath: path + "/valid/" + name, toPath: folder + "/" + name)
    }
  }

  func remove() { try? FileManager.default.removeItem(at: work) }

  /// 1 layer, d_model 16, 2 steps: a checkpoint in a second.
  var validConfig: String {
    """
    [model]
    d_model = 16
    n_heads = 2
    n_layers = 1
    context = 16
    [train]
    steps = 2
    batch = 4
    warmup = 1
    eval_every = 0
    eval_batches = 1
    checkpoint_every = 0
    [data]
    path = "\(path)/corpus.txt"
    val_fraction = 0.2

    """
  }

  /// 300 paragraphs of made-up sentences.
  private func writeCorpus() throws {
    try writeMadeUpCorpus(to: path + "/corpus.txt")
  }

  /// `valid/`: a finished run; `cut/` and `bit/`: its config and a damaged copy of its only
  /// checkpoint (cut in the middle of the tensors; one bit of a tensor flipped).
  private func trainValidRun() throws {
    let valid = path + "/valid"
    let outcome = try runDDP(["train", "--config", path + "/good.toml", "--out", valid])
    guard outcome.status == 0 else { throw FixtureError(outcome.stderr) }
    let name = "checkpoint-00000002.ckpt"
    let bytes = try Data(contentsOf: URL(fileURLWithPath: valid + "/" + name))
    var flipped = bytes
    flipped[bytes.count / 2] ^= 0x40
    for (folder, content) in [("cut", bytes.prefix(bytes.count / 2)), ("bit", flipped)] {
      let damaged = path + "/" + folder
      try FileManager.default.createDirectory(
        atPath: damaged, withIntermediateDirectories: false)
      try FileManager.default.copyItem(
        atPath: valid + "/config.toml", toPath: damaged + "/config.toml")
      try content.write(to: URL(fileURLWithPath: damaged + "/" + name))
    }
  }

  /// `rank-0/corpus` and `rank-1/corpus`, two files each: `a.txt` equal, `b.txt` different;
  /// `ranks.toml` reads the relative path `corpus`.
  private func writeRankCorpora() throws {
    for rank in 0..<2 {
      let corpus = path + "/rank-\(rank)/corpus"
      try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
      try writeMadeUpCorpus(to: corpus + "/a.txt", paragraphs: 150)
      try writeMadeUpCorpus(to: corpus + "/b.txt", paragraphs: 150, seed: 100 + UInt64(rank))
    }
    try validConfig.replacingOccurrences(of: "\(path)/corpus.txt", with: "corpus")
      .write(toFile: path + "/ranks.toml", atomically: true, encoding: .utf8)
  }

  /// `changed/`: a finished run on `changing.txt`, which then gets one more paragraph.
  private func trainChangedRun() throws {
    try writeMadeUpCorpus(to: path + "/changing.txt")
    let outcome = try runDDP([
      "train", "--config", path + "/good.toml", "--out", path + "/changed", "--set",
      "data.path=\(path)/changing.txt",
    ])
    guard outcome.status == 0 else { throw FixtureError(outcome.stderr) }
    let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path + "/changing.txt"))
    defer { try? file.close() }
    try file.seekToEnd()
    try file.write(contentsOf: Data("\n\na paragraph added after the run\n".utf8))
  }

  /// The case's arguments with `$WORK`, `$OUT` and `$CONFIG` replaced.
  func arguments(of input: BadInput, out: String, config: String) -> [String] {
    input.arguments.map {
      $0.replacingOccurrences(of: "$WORK", with: path)
        .replacingOccurrences(of: "$OUT", with: out)
        .replacingOccurrences(of: "$CONFIG", with: config)
    }
  }

  /// The names and sizes of the files under `folder`, to see that a refused run wrote nothing.
  func listing(_ folder: String) -> [String] {
    let manager = FileManager.default
    guard let names = manager.subpaths(atPath: folder) else { return [] }
    return names.sorted().map { name in
      let size = (try? manager.attributesOfItem(atPath: folder + "/" + name)[.size]) ?? 0
      return "\(name) \(size)"
    }
  }
}

/// Runs `ddp ARGUMENTS` with `workers` workers: a plain process for 1, `mpirun -np N` otherwise,
/// killed after 30 s so a hang fails the case instead of blocking the suite.
///
/// `mpirun -q` (`--quiet`, the MCA parameter `orte_execute_quiet`): without it OpenMPI 4.1
/// adds two banners of 11 lines to standard error when ranks exit with a non-zero code
/// ("Primary job terminated normally, but 1 process returned a non-zero exit code..." and
/// "mpirun detected that one or more processes exited with non-zero status..."). `-q` drops
/// them and keeps the ranks' own output and the exit code.
///
/// With `directories`, rank r starts in `directories[r]`: `env -C` for one worker, and for
/// several one mpirun app context per rank (`-np 1 -wdir DIR ddp ... : -np 1 -wdir DIR ...`).
func runWorkers(_ workers: Int, _ arguments: [String], directories: [String]? = nil) throws -> (
  Outcome, seconds: Double
) {
  let start = Date()
  let mpirun = [
    "30", "/usr/bin/mpirun", "-q", "--allow-run-as-root", "--oversubscribe", "--bind-to",
    "none", "-x", "OPENBLAS_NUM_THREADS=1",
  ]
  let outcome: Outcome
  switch (workers, directories) {
  case (1, nil):
    outcome = try runProcess("/usr/bin/timeout", ["30", ddpExecutable] + arguments)
  case (1, let directories?):
    outcome = try runProcess(
      "/usr/bin/timeout", ["30", "/usr/bin/env", "-C", directories[0], ddpExecutable] + arguments)
  case (_, nil):
    outcome = try runProcess(
      "/usr/bin/timeout", mpirun + ["-np", "\(workers)", ddpExecutable] + arguments)
  case (_, let directories?):
    let contexts = (0..<workers).map {
      ["-np", "1", "-wdir", directories[$0], ddpExecutable] + arguments
    }
    outcome = try runProcess(
      "/usr/bin/timeout", mpirun + Array(contexts.joined(separator: [":"])))
  }
  return (outcome, Date().timeIntervalSince(start))
}

/// The valid run the checkpoint cases damage could not be trained.
struct FixtureError: Error, CustomStringConvertible {
  let description: String
  init(_ stderr: String) { description = "cannot train the valid run: \(stderr)" }
}
