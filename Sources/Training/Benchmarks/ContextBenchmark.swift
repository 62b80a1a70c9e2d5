import Config
import Foundation
import Models
import Support

/// `ddp bench context`: milliseconds per training step against the context T at a fixed
/// number of tokens per step, for each attention kind, measured in one interleaved run.
///
/// ```
/// batch(T)  = tokens / T sequences (one sequence for the long contexts beyond `tokens`)
/// ms/step   = best over repeats of one full step: zero gradients, forward, backward, AdamW
/// slope     = least-squares slope of log(ms/step) against log(T) over the fixed-token points
/// ```
/// At fixed tokens per step every kind does the same projection and MLP work at every T; only
/// the attention's cost per token changes with T: softmax's grows as T (slope towards 1 where
/// attention dominates), while the chunkwise linear and delta-rule kernels cost O(c) per token
/// and stay flat (slope 0). Each repeat times every kind once, in turn, at the same T, so a busy
/// machine slows them alike; the best of the repeats is the figure, the median its spread.
/// A point whose memory estimate (`RunConfig.footprint`) exceeds `memoryFraction` of the
/// memory available now is skipped and says so.
///
/// ### References
/// A. Katharopoulos et al., "Transformers are RNNs", ICML 2020 (linear attention trains in
/// O(T)); S. Yang et al., "Parallelizing Linear Transformers with the Delta Rule over
/// Sequence Length", NeurIPS 2024 (so does the delta rule, chunkwise).
public struct ContextBenchmark: Sendable {
  /// One kind at one context.
  public struct Point: Codable, Sendable, Equatable {
    public var attention: String
    public var context: Int
    public var batch: Int
    /// Best and median ms per step over the repeats; nil when skipped.
    public var msPerStep: Double?
    public var medianMS: Double?
    /// Why the point was not measured (the memory estimate), or nil.
    public var skipped: String?

    enum CodingKeys: String, CodingKey {
      case attention, context, batch, skipped
      case msPerStep = "ms_per_step"
      case medianMS = "median_ms"
    }
  }

  /// The model and training settings; `model.context` and `model.attention` vary.
  public var run: RunConfig
  /// Contexts measured at `tokens` tokens per step (each must divide `tokens`).
  public var contexts: [Int]
  /// Contexts beyond `tokens`, measured with one sequence per step.
  public var longContexts: [Int]
  public var tokens: Int
  public var kinds: [AttentionKind]
  /// Timed steps of each kind at each context; the best counts.
  public var repeats: Int
  /// Skip a point whose estimate exceeds this share of the available memory (the machine may
  /// be shared).
  public var memoryFraction = 0.5

  public init(
    run: RunConfig, contexts: [Int], longContexts: [Int], tokens: Int, kinds: [AttentionKind],
    repeats: Int
  ) {
    (self.run, self.contexts, self.longContexts) = (run, contexts, longContexts)
    (self.tokens, self.kinds, self.repeats) = (tokens, kinds, repeats)
  }

  /// Measures every kind at every context, calling `progress` with one line per context.
  public func measure(progress: (String) -> Void) throws -> [Point] {
    var points: [Point] = []
    for t in contexts + longContexts {
      let batch = max(1, tokens / t)
      var steppers: [(Int, TrainingStepTimer)] = []
      for kind in kinds {
        var config = run
        config.model.context = t
        config.model.attention = kind
        var point = Point(attention: kind.rawValue, context: t, batch: batch)
        if let why = tooLarge(config, batch: batch) {
          point.skipped = why
        } else {
          steppers.append((points.count, try TrainingStepTimer(config, batch: batch)))
        }
        points.append(point)
      }
      var times = [[Double]](repeating: [], count: steppers.count)
      for repeat_ in -1..<repeats {
        for (i, stepper) in steppers.enumerated() {
          let seconds = stepper.1.step()
          if repeat_ >= 0 { times[i].append(seconds * 1e3) }
        }
      }
      for ((index, _), ms) in zip(steppers, times) {
        let sorted = ms.sorted()
        points[index].msPerStep = sorted.first
        points[index].medianMS = sorted[sorted.count / 2]
      }
      let line = points.suffix(kinds.count).map { p in
        "\(p.attention) " + (p.msPerStep.map { fmt($0, 1) + " ms" } ?? "skipped")
      }
      progress("T = \(t), \(batch) × \(t) tokens: " + line.joined(separator: ", "))
    }
    return points
  }

  /// Why a config is not measured here, or nil when it fits.
  func tooLarge(_ config: RunConfig, batch: Int) -> String? {
    guard let footprint = config.footprint(microBatch: batch) else {
      return "sizes overflow"
    }
    guard let available = availableMemoryBytes() else { return nil }
    let allowed = memoryFraction * Double(available)
    guard Double(footprint.bytes) > allowed else { return nil }
    return "needs about \(fmt(Double(footprint.bytes) / 1e9, 1)) GB, more than "
      + "\(fmt(memoryFraction * 100, 0))% of the \(fmt(Double(available) / 1e9, 1)) GB available"
  }

  /// The least-squares slope of log(ms/step) against log(T) of one kind's measured points
  /// among `contexts` (nil with fewer than two).
  public static func slope(_ points: [Point], attention: String, contexts: [Int]) -> Double? {
    let xy = points.compactMap { p -> (Double, Double)? in
      guard p.attention == attention, contexts.contains(p.context), let ms = p.msPerStep else {
        return nil
      }
      return (log(Double(p.context)), log(ms))
    }
    guard xy.count >= 2 else { return nil }
    let mx = xy.map(\.0).reduce(0, +) / Double(xy.count)
    let my = xy.map(\.1).reduce(0, +) / Double(xy.count)
    let sxy = xy.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +)
    let sxx = xy.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
    return sxx > 0 ? sxy / sxx : nil
  }

  /// The best ms/step of one kind at one context, if measured.
  public static func ms(_ points: [Point], _ attention: String, _ context: Int) -> Double? {
    points.first { $0.attention == attention && $0.context == context }?.msPerStep
  }
}
