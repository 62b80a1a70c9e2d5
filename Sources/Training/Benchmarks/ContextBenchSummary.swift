import Config
import Support

/// The figures `ddp bench context` prints: ms/step per kind and context, each kind's
/// log-log slope over the fixed-token contexts, its T = 2048 / T = 256 ratio and its speedup
/// over softmax at T = 2048 (the targets: ratio ≤ 1.15 and speedup ≥ 1.5 for the
/// linear kinds).
public struct ContextBenchSummary: Codable, Sendable {
  public var points: [ContextBenchmark.Point]
  /// Per kind: the slope of log(ms/step) against log(T) over the fixed-token contexts.
  public var slopes: [String: Double]
  /// Per kind: ms/step at T = 2048 over ms/step at T = 256, when both were measured.
  public var ratio2048Over256: [String: Double]
  /// Per kind: softmax's ms/step at T = 2048 over the kind's.
  public var speedupOverSoftmax2048: [String: Double]

  enum CodingKeys: String, CodingKey {
    case points, slopes
    case ratio2048Over256 = "ratio_2048_over_256"
    case speedupOverSoftmax2048 = "speedup_over_softmax_2048"
  }

  /// Whether a linear kind may step at T = 2048 at most this many times its T = 256 time.
  public static let flatRatio = 1.15
  /// How much faster than softmax a linear kind must step at T = 2048.
  public static let speedupTarget = 1.5

  public init(points: [ContextBenchmark.Point], contexts: [Int], kinds: [AttentionKind]) {
    self.points = points
    (slopes, ratio2048Over256, speedupOverSoftmax2048) = ([:], [:], [:])
    for kind in kinds.map(\.rawValue) {
      slopes[kind] = ContextBenchmark.slope(points, attention: kind, contexts: contexts)
      if let long = ContextBenchmark.ms(points, kind, 2048),
        let short = ContextBenchmark.ms(points, kind, 256)
      {
        ratio2048Over256[kind] = long / short
      }
      if kind != "softmax", let mine = ContextBenchmark.ms(points, kind, 2048),
        let softmax = ContextBenchmark.ms(points, "softmax", 2048)
      {
        speedupOverSoftmax2048[kind] = softmax / mine
      }
    }
  }

  var kinds: [String] {
    var seen: [String] = []
    for p in points where !seen.contains(p.attention) { seen.append(p.attention) }
    return seen
  }

  /// Rows T (with the sequences per step), columns ms/step per kind.
  public var table: String {
    var table = TextTable(
      [.init("T", alignment: .right), .init("seqs × T", alignment: .right)]
        + kinds.map { .init("\($0) ms/step", alignment: .right) })
    var contexts: [Int] = []
    for p in points where !contexts.contains(p.context) { contexts.append(p.context) }
    for t in contexts {
      let batch = points.first { $0.context == t }?.batch ?? 1
      table.append(
        ["\(t)", "\(batch) × \(t)"]
          + kinds.map { kind in
            let p = points.first { $0.attention == kind && $0.context == t }
            return p?.msPerStep.map { fmt($0, 1) } ?? "skipped"
          })
    }
    return table.text()
  }

  /// One line per kind: slope, ratio and speedup, with the targets they are held to.
  public var findings: String {
    kinds.map { kind in
      var parts: [String] = []
      if let s = slopes[kind] { parts.append("log-log slope \(fmt(s, 2))") }
      if let r = ratio2048Over256[kind] {
        let target =
          kind == "softmax"
          ? ""
          : (r <= Self.flatRatio
            ? " (≤ \(Self.flatRatio): met)" : " (≤ \(Self.flatRatio): NOT met)")
        parts.append("T=2048 / T=256 \(fmt(r, 2))x" + target)
      }
      if let v = speedupOverSoftmax2048[kind] {
        let met = v >= Self.speedupTarget ? "met" : "NOT met"
        parts.append(
          "\(fmt(v, 2))x faster than softmax at T=2048 (≥ \(Self.speedupTarget): \(met))")
      }
      return "\(kind): " + parts.joined(separator: ", ")
    }.joined(separator: "\n")
  }
}
