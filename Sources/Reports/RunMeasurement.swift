import Foundation
import Training

/// What one finished `ddp train` run directory says about its steps: per-step times and
/// collective counters from `metrics.jsonl`, and its final parameters.
public struct RunMeasurement {
  /// One line of metrics.jsonl.
  public struct Step {
    public var seconds: Double
    public var loss: Double
    /// Per category (`gradients`, `norm_stats`, `control`): calls, bytes, seconds this step.
    public var comm: [String: (calls: Double, bytes: Double, seconds: Double)]
    /// The least seconds any worker waited in `gradients` and `norm_stats` collectives.
    public var leastWait: [String: Double]
  }

  public let steps: [Step]
  public let directory: String

  public init(directory: String) throws {
    self.directory = directory
    let path = directory + "/metrics.jsonl"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw RunError("cannot read \"\(path)\"")
    }
    steps = try text.split(separator: "\n").map { line in
      guard
        let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let seconds = record["step_seconds"] as? Double, let loss = record["loss"] as? Double,
        let comm = record["comm"] as? [String: [String: Any]]
      else { throw RunError("\"\(path)\" holds a line that is not a step record: \(line)") }
      var counters: [String: (calls: Double, bytes: Double, seconds: Double)] = [:]
      for (category, values) in comm {
        counters[category] = (
          (values["calls"] as? Double) ?? 0, (values["bytes"] as? Double) ?? 0,
          (values["seconds"] as? Double) ?? 0
        )
      }
      let leastWait = record["least_wait_seconds"] as? [String: Double] ?? [:]
      return Step(seconds: seconds, loss: loss, comm: counters, leastWait: leastWait)
    }
    guard !steps.isEmpty else { throw RunError("\"\(path)\" holds no steps") }
  }

  /// The median of `figure` over the steps after the first `warmup` (all steps when there are
  /// no more).
  public func median(afterWarmup warmup: Int, _ figure: (Step) -> Double) -> Double {
    let measured = steps.count > warmup ? Array(steps[warmup...]) : steps
    let values = measured.map(figure).sorted()
    let middle = values.count / 2
    return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
  }

  /// Mean of `figure` over the steps after the first `warmup`.
  public func mean(afterWarmup warmup: Int, _ figure: (Step) -> Double) -> Double {
    let measured = steps.count > warmup ? Array(steps[warmup...]) : steps
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

extension RunMeasurement.Step {
  public func seconds(_ category: String) -> Double { comm[category]?.seconds ?? 0 }
  public func calls(_ category: String) -> Double { comm[category]?.calls ?? 0 }
  public func bytes(_ category: String) -> Double { comm[category]?.bytes ?? 0 }
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
