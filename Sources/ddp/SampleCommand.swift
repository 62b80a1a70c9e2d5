import ArgumentParser
import Config
import Datasets
import Experiments
import Foundation
import Kernels
import Models
import Reports
import Support
import Training

/// `ddp sample`: generates text from a checkpoint.
struct SampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Generate text from a trained checkpoint.",
    discussion: """
      PATH may be a checkpoint file or a run directory (its newest intact checkpoint). Tokens \
      are drawn from softmax(log p / temperature), computed in log space so that a small \
      temperature tends to the most likely byte (0 = always the most likely byte). The model \
      runs one token at a time (a key/value cache for softmax attention, the recurrent state \
      for linear, fastweight and fastweight_sum attention); when its context is full it starts over from the \
      last half of the text. Text is printed as it is generated, at most \(Self.maximumTokens) \
      bytes per call.

      Example:
        ddp sample --checkpoint runs/fortunes --prompt "The " --tokens 300
        ddp sample --checkpoint runs/fortunes --prompt "The " --temperature 0.8
      """)

  @Option(parsing: .unconditional, help: "Checkpoint file or run directory.") var checkpoint: String
  @Option(parsing: .unconditional, help: "Text to continue.") var prompt = ""
  /// The most bytes one call generates: about an hour at the speed of the small models here.
  static let maximumTokens = 1_000_000

  @Option(parsing: .unconditional, help: "Bytes to generate (1 to 1000000).") var tokens = 200
  @Option(parsing: .unconditional, help: "Sampling temperature (0 = greedy).")
  var temperature = 0.8
  @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 1

  func validate() throws {
    guard (1...Self.maximumTokens).contains(tokens) else {
      throw ValidationError(
        "--tokens must be between 1 and \(Self.maximumTokens), got \(tokens)")
    }
    guard temperature >= 0, temperature.isFinite else {
      throw ValidationError("--temperature must be a finite number ≥ 0, got \(temperature)")
    }
  }

  func run() throws {
    // One process's work: under mpirun rank 0 alone does it and prints it once.
    guard LaunchEnvironment.current.rank == 0 else { return }
    setBLASThreads(1)
    let loaded = try reportingInputErrors {
      let loaded = try CheckpointIO.loadModel(from: checkpoint, batch: 1)
      try requireLanguageModel(loaded.run, path: loaded.path, command: "sample")
      return loaded
    }
    let generator = Generator(model: loaded.model)
    let context = loaded.model.config.context
    var rng = RandomNumbers(seed: seed)
    var text = ByteTokenizer.encode(prompt).map { Int32($0) }
    if text.isEmpty { text = [Int32(UInt8(ascii: "\n"))] }
    var probabilities: UnsafePointer<Float>?
    /// Starts over from the last `keep` tokens of the text.
    func refill(keep: Int) {
      generator.reset()
      for token in text.suffix(keep) { probabilities = generator.step(token: token) }
    }
    refill(keep: context)
    // Checked once, on the prompt's last position: weights that overflow do so at every token.
    if let p = probabilities {
      let vocabulary = loaded.model.config.vocabSize
      try NonFiniteOutput.require(
        (0..<vocabulary).map { Double(p[$0]) }, "next-byte probabilities", path: loaded.path)
    }
    var output = ByteTokenizer.StreamingDecoder()
    try write(prompt)
    for _ in 0..<tokens {
      guard let p = probabilities else { break }
      let next = Int32(draw(p, count: loaded.model.config.vocabSize, rng: &rng))
      text.append(next)
      try write(output.append(next))
      if generator.position == context {
        refill(keep: context / 2)
      } else {
        probabilities = generator.step(token: next)
      }
    }
    try write(output.finish() + "\n")
  }

  /// Writes `text` to standard output at once (the run may be long; the reader sees it grow);
  /// a failed write ends the command with one line and exit code 1.
  func write(_ text: String) throws {
    guard !text.isEmpty else { return }
    do {
      try StandardOutput.write(text)
    } catch {
      writeErrorLine("ddp: \(error)")
      throw ExitStatus(1)
    }
  }

  /// A token index drawn from softmax(log p / temperature): the weights
  /// `exp((log p_i − max_j log p_j) / T)` stay in (0, 1] for any T > 0, where `p^(1/T)` would
  /// underflow to 0 for every token below T ≈ 0.005. The most likely token at T = 0.
  func draw(_ p: UnsafePointer<Float>, count: Int, rng: inout RandomNumbers) -> Int {
    let best = (0..<count).max { p[$0] < p[$1] } ?? 0
    guard temperature > 0 else { return best }
    let top = Foundation.log(Double(p[best]))
    let weights = (0..<count).map {
      Foundation.exp((Foundation.log(Double(p[$0])) - top) / temperature)
    }
    var u = rng.nextUniform() * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
      u -= w
      if u < 0 { return i }
    }
    return best
  }
}
