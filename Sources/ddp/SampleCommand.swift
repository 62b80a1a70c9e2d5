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
      are drawn from the model's distribution raised to 1/temperature (0 = always the most \
      likely byte). The model runs one token at a time (a key/value cache for softmax \
      attention, the recurrent state for linear and fastweight attention); when its context is \
      full it starts over from the last half of the text.

      Example:
        ddp sample --checkpoint runs/fortunes --prompt "The " --tokens 300 --temperature 0.8
      """)

  @Option(help: "Checkpoint file or run directory.") var checkpoint: String
  @Option(help: "Text to continue.") var prompt = ""
  @Option(help: "Bytes to generate.") var tokens = 200
  @Option(help: "Sampling temperature (0 = greedy).") var temperature = 0.8
  @Option(help: "Random seed.") var seed: UInt64 = 1

  func validate() throws {
    guard tokens > 0 else { throw ValidationError("--tokens must be positive, got \(tokens)") }
    guard temperature >= 0, temperature.isFinite else {
      throw ValidationError("--temperature must be ≥ 0, got \(temperature)")
    }
  }

  func run() throws {
    setBLASThreads(1)
    let loaded = try reportingInputErrors { try CheckpointIO.loadModel(from: checkpoint, batch: 1) }
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
    var generated: [Int32] = []
    for _ in 0..<tokens {
      guard let p = probabilities else { break }
      let next = Int32(draw(p, count: loaded.model.config.vocabSize, rng: &rng))
      text.append(next)
      generated.append(next)
      if generator.position == context {
        refill(keep: context / 2)
      } else {
        probabilities = generator.step(token: next)
      }
    }
    print(prompt + ByteTokenizer.decode(generated))
  }

  /// A token index drawn from `p^(1/temperature)`, normalized; the most likely at 0.
  func draw(_ p: UnsafePointer<Float>, count: Int, rng: inout RandomNumbers) -> Int {
    guard temperature > 0 else { return (0..<count).max { p[$0] < p[$1] } ?? 0 }
    let weights = (0..<count).map { Foundation.pow(Double(p[$0]), 1 / temperature) }
    var u = rng.nextUniform() * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
      u -= w
      if u < 0 { return i }
    }
    return count - 1
  }
}
