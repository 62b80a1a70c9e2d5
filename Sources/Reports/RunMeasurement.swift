import Foundation
import Support
import Training

/// What one finished `ddp train` run directory says about its steps: per-step times and
/// collective counters from `metrics.jsonl`, and its final parameters.
public struct RunMeasurement {
  /// The lines of metrics.jsonl, in order.
  public let steps: [StepRecord]
  public let directory: String

  /// Reads `directory/metrics.jsonl`.
  ///
  /// - Throws: `RunError` when the file cannot be read or holds no steps; `JSONReadError`
  ///   naming the file, the line and the key when a line lacks a key or is not JSON.
  public init(directory: String) throws {
    self.directory = directory
    let path = directory + "/metrics.jsonl"
    let text: String
    do { text = try FileSystem.text(of: path) } catch { throw RunError("\(error)") }
    steps = try Self.steps(metrics: text, source: "\"\(path)\"")
    guard !steps.isEmpty else { throw RunError("\"\(path)\" holds no steps") }
  }

  /// The step records of metrics.jsonl text, one per non-empty line; errors name `source`
  /// and the line number.
  public static func steps(metrics text: String, source: String) throws -> [StepRecord] {
    try text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
      .filter { !$0.element.isEmpty }
      .map { number, line in
        try JSONStyle.decode(StepRecord.self, from: line, source: "\(source) line \(number + 1)")
      }
  }

  /// The steps after the first `warmup` (all steps when there are no more).
  public func measured(afterWarmup warmup: Int) -> [StepRecord] {
    steps.count > warmup ? Array(steps[warmup...]) : steps
  }

  /// The median of `figure` over the steps after the first `warmup` (all steps when there are
  /// no more).
  public func median(afterWarmup warmup: Int, _ figure: (StepRecord) -> Double) -> Double {
    let measured = measured(afterWarmup: warmup)
    let values = measured.map(figure).sorted()
    let middle = values.count / 2
    return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
  }

  /// Mean of `figure` over the steps after the first `warmup`.
  public func mean(afterWarmup warmup: Int, _ figure: (StepRecord) -> Double) -> Double {
    let measured = measured(afterWarmup: warmup)
    return measured.map(figure).reduce(0, +) / Double(measured.count)
  }

  /// The parameters of the run's newest intact checkpoint, by tensor name.
  public func finalParameters() throws -> CheckpointTensors {
    guard let path = Checkpoint.newestIntact(inDirectory: directory) else {
      throw RunError("\"\(directory)\" holds no intact checkpoint")
    }
    return try Checkpoint.read(path: path).parameters
  }
}

/// The parity column: the largest |θ_N − θ_1| over the parameters, leaving out for the
/// batch-statistics norms the biases the loss does not depend on.
///
/// With BatchNorm every reader of the residual stream subtracts the batch mean per channel, so a
/// bias added to the whole stream (`attn.proj.bias`, `mlp.proj.bias`) or to every value or key
/// (`attn.qkv.bias`: a constant in every value row passes attention unchanged; a constant
/// key shifts a whole score row, which softmax ignores) has an exactly zero gradient. In floats
/// the gradient is rounding noise, and AdamW divides it by its own RMS: those parameters take
/// noise-sized-to-lr steps that differ with summation order, and say nothing about whether the
/// workers trained the same model.
public func parityDifference(
  _ a: CheckpointTensors, _ b: CheckpointTensors, batchStatistics: Bool
) -> Double {
  var largest = 0.0
  for entry in a.layout.entries {
    if batchStatistics,
      entry.name.hasSuffix("attn.proj.bias") || entry.name.hasSuffix("mlp.proj.bias")
        || entry.name.hasSuffix("attn.qkv.bias")
    {
      continue
    }
    guard let x = a.values(entry.name), let y = b.values(entry.name) else { continue }
    for (u, v) in zip(x, y) { largest = max(largest, Double(abs(u - v))) }
  }
  return largest
}
