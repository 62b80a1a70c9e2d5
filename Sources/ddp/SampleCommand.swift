import ArgumentParser
import Datasets
import Foundation
import Kernels
import Models

/// `ddp sample`: generates text from a checkpoint.
struct SampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Generate text from a trained checkpoint.",
    discussion: """
      PATH may be a checkpoint file or a run directory (its newest intact checkpoint). Tokens
      are drawn from the model's distribution raised to 1/temperature (0 = always the most
      likely byte); the model sees the last `context` bytes.

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
    let loaded = try loadOrExit { try CheckpointIO.loadModel(from: checkpoint, batch: 1) }
    let model = loaded.model
    let t = model.config.context
    var rng = RandomNumbers(seed: seed)
    var text = ByteTokenizer.encode(prompt).map { Int32($0) }
    if text.isEmpty { text = [Int32(UInt8(ascii: "\n"))] }
    var window = [Int32](repeating: 0, count: t)
    let targets = [Int32](repeating: 0, count: t)
    var generated: [Int32] = []
    for _ in 0..<tokens {
      let visible = text.suffix(t)
      for (i, token) in visible.enumerated() { window[i] = token }
      model.forward(tokens: window, targets: targets, training: false)
      let p = model.nextTokenProbabilities(sequence: 0, position: visible.count - 1)
      let next = Int32(draw(p, count: model.config.vocabSize, rng: &rng))
      text.append(next)
      generated.append(next)
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
