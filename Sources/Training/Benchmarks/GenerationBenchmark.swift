import Config
import Foundation
import Models
import Support

/// `ddp bench generate`: milliseconds per generated token and bytes of attention state against
/// the position, for each attention kind, on a model with random (initialization) weights.
///
/// ```
/// t(p)          = per position, the least over repeats of one `Generator.step` (all layers,
///                 the head and its softmax over V)
/// ms/token at P = median of t(p) over the `window` positions P − window ..< P
/// state(p)      = softmax: the key/value cache in use, 2·(p + 1)·C floats per layer
///                 linear: (S, z), H·(hs² + hs) floats per layer; fastweight kinds: W, H·hs²
/// ```
/// Softmax attention reads its whole cache for every token (O(p·C)); the linear kinds run a
/// recurrence on a fixed-size state (O(C·hs)), so their time per token should not depend on
/// the position (Katharopoulos et al. 2020, section 3.4).
///
/// Each kind runs alone (one model in memory at a time), its repeats back to back.
///
/// ### References
/// A. Katharopoulos, A. Vyas, N. Pappas, F. Fleuret, "Transformers are RNNs: Fast
/// Autoregressive Transformers with Linear Attention", ICML 2020: generation 317× (MNIST) and
/// ~4000× (CIFAR-10) faster than softmax with a KV cache.
public struct GenerationBenchmark: Sendable {
  /// The model shape; `attention` is replaced by each kind in turn.
  public var model: ModelConfig
  public var kinds: [AttentionKind]
  /// Positions reported, each in `window ... model.context`.
  public var positions: [Int]
  /// Full passes over the context per kind; the least time per position counts.
  public var repeats: Int
  /// Positions per reported figure (the median over them).
  public var window: Int
  /// Seed of the weights and of the tokens fed.
  public var seed: UInt64

  public init(
    model: ModelConfig, kinds: [AttentionKind], positions: [Int], repeats: Int, window: Int,
    seed: UInt64
  ) {
    (self.model, self.kinds, self.positions) = (model, kinds, positions)
    (self.repeats, self.window, self.seed) = (repeats, window, seed)
  }

  /// The powers of 4 from 64 below the context, then the context itself: 64, 256, 1024, …, T.
  public static func defaultPositions(context: Int, window: Int) -> [Int] {
    var positions: [Int] = []
    var p = max(64, window)
    while p < context {
      positions.append(p)
      p *= 4
    }
    return positions + [context]
  }

  /// One reported position of one kind.
  public struct Point: Codable, Sendable, Equatable {
    public var position: Int
    public var msPerToken: Double
    /// Attention state in use at this position, all layers.
    public var stateBytes: Int

    enum CodingKeys: String, CodingKey {
      case position
      case msPerToken = "ms_per_token"
      case stateBytes = "state_bytes"
    }
  }

  /// Every reported position of one kind.
  public struct Series: Codable, Sendable, Equatable {
    public var attention: String
    public var points: [Point]
    /// The state the generator allocates for the whole context, all layers.
    public var allocatedStateBytes: Int

    /// Per-token time at the last position over that at the first.
    public var growth: Double {
      guard let first = points.first, let last = points.last, first.msPerToken > 0 else {
        return .nan
      }
      return last.msPerToken / first.msPerToken
    }

    enum CodingKeys: String, CodingKey {
      case attention, points
      case allocatedStateBytes = "allocated_state_bytes"
    }
  }

  /// What `ddp bench generate` prints as its JSON line.
  public struct Report: Codable, Sendable {
    public var context: Int
    public var dModel: Int
    public var heads: Int
    public var layers: Int
    public var repeats: Int
    public var window: Int
    public var series: [Series]
    /// Per kind: the last position's time over position `positions[0]`'s.
    public var growth: [String: Double]
    /// Per kind: softmax's per-token time at the last position over this kind's.
    public var speedupOverSoftmax: [String: Double]

    enum CodingKeys: String, CodingKey {
      case context, repeats, window, series, growth, heads, layers
      case dModel = "d_model"
      case speedupOverSoftmax = "speedup_over_softmax"
    }
  }

  /// Attention state in use after `position + 1` tokens, all layers, in bytes.
  func stateBytes(_ kind: AttentionKind, position: Int) -> Int {
    let (c, nh, l) = (model.dModel, model.nHeads, model.nLayers)
    let perLayer =
      kind == .softmax
      ? 2 * (position + 1) * c
      : kind.mixer.stateCount(context: model.context, channels: c, heads: nh)
    return 4 * l * perLayer
  }

  /// Times every kind; throws what `Transformer` throws for an impossible shape.
  public func measure(progress: (String) -> Void = { _ in }) throws -> Report {
    var series: [Series] = []
    let t = model.context
    var rng = RandomNumbers(seed: seed &+ 1)
    let tokens = (0..<t).map { _ in Int32(rng.nextInt(below: model.vocabSize)) }
    for kind in kinds {
      var config = model
      config.attention = kind
      let generator = Generator(model: try Transformer(config: config, batch: 1, seed: seed))
      var best = [Double](repeating: .infinity, count: t)
      for _ in 0..<repeats {
        generator.reset()
        for (p, token) in tokens.enumerated() {
          let start = monotonicSeconds()
          _ = generator.step(token: token)
          best[p] = min(best[p], monotonicSeconds() - start)
        }
      }
      let points = positions.map { position -> Point in
        let times = best[max(0, position - window)..<position].sorted()
        return Point(
          position: position, msPerToken: times[times.count / 2] * 1e3,
          stateBytes: stateBytes(kind, position: position - 1))
      }
      let allocated =
        4 * model.nLayers
        * kind.mixer.stateCount(context: t, channels: model.dModel, heads: model.nHeads)
      series.append(
        Series(attention: kind.rawValue, points: points, allocatedStateBytes: allocated))
      progress(
        "\(kind.rawValue): \(fmt(points.last?.msPerToken ?? .nan, 3)) ms/token at position \(t)")
    }
    let softmaxLast = series.first { $0.attention == AttentionKind.softmax.rawValue }?.points.last
    var speedups: [String: Double] = [:]
    for s in series {
      if let softmaxLast, let last = s.points.last, last.msPerToken > 0 {
        speedups[s.attention] = softmaxLast.msPerToken / last.msPerToken
      }
    }
    return Report(
      context: t, dModel: model.dModel, heads: model.nHeads, layers: model.nLayers,
      repeats: repeats, window: window, series: series,
      growth: Dictionary(uniqueKeysWithValues: series.map { ($0.attention, $0.growth) }),
      speedupOverSoftmax: speedups)
  }
}

extension GenerationBenchmark.Report {
  /// Per position: ms per token of each kind, then the attention state of each kind.
  public var tables: String {
    let names = series.map(\.attention)
    var time = TextTable(
      [TextTable.Column("position", alignment: .right)]
        + names.map { TextTable.Column("\($0) ms/token", alignment: .right) })
    var state = TextTable(
      [TextTable.Column("position", alignment: .right)]
        + names.map { TextTable.Column("\($0) state", alignment: .right) })
    for (i, point) in (series.first?.points ?? []).enumerated() {
      time.append(["\(point.position)"] + series.map { fmt($0.points[i].msPerToken, 4) })
      state.append(["\(point.position)"] + series.map { byteText($0.points[i].stateBytes) })
    }
    let first = series.first?.points.first?.position ?? 0
    let growthLine = series.map { "\($0.attention) \(fmt($0.growth, 2))x" }
    let speedLine = series.filter { $0.attention != AttentionKind.softmax.rawValue }
      .compactMap { s in speedupOverSoftmax[s.attention].map { "\(s.attention) \(fmt($0, 1))x" } }
    var lines = [
      time.text(), "", state.text(), "",
      "per-token time at position \(context) / at position \(first): "
        + growthLine.joined(separator: ", "),
    ]
    if !speedLine.isEmpty {
      lines.append(
        "speedup over softmax (KV cache) at position \(context): "
          + speedLine.joined(separator: ", "))
    }
    return lines.joined(separator: "\n")
  }

  /// `512 B`, `16.0 kB`, `4.19 MB` (powers of 1000).
  func byteText(_ bytes: Int) -> String {
    let b = Double(bytes)
    if b < 1e3 { return "\(bytes) B" }
    if b < 1e6 { return fmt(b / 1e3, 1) + " kB" }
    return fmt(b / 1e6, 2) + " MB"
  }
}
