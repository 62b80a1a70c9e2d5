import Config
import Foundation
import Kernels
import Models
import Support

/// `ddp bench norms`: nanoseconds per row of the normalization kernels, forward and backward,
/// for LayerNorm, RMSNorm and BatchNorm at several widths C, measured in one interleaved run.
///
/// ```
/// ns/row (fwd) = best over repeats of (seconds of one forward call over N rows) / N
/// ns/row (bwd) = the same for the backward call
/// speedup      = LayerNorm ns/row / RMSNorm ns/row          (fwd, bwd, fwd + bwd)
/// ```
/// Each repeat times every kernel once, in turn, on buffers of the same size (inputs uniform in
/// [−2, 3)), so a busy machine slows all of them alike and the ratio stays fair; the best of the
/// repeats is the figure (the least disturbed run), the median is kept beside it as the spread.
/// BatchNorm's forward is `batchNormStatistics` + `batchNormNormalize` and its backward
/// `batchNormGradientStatistics` + `batchNormBackward`, as a one-worker model calls them (with
/// SyncBatchNorm the all-reduces between the halves come on top).
///
/// ### References
/// B. Zhang, R. Sennrich, "Root Mean Square Layer Normalization", NeurIPS 2019, report RMSNorm
/// 7–64% faster than LayerNorm in whole models (section 6).
public struct NormBenchmark: Sendable {
  /// The normalizations timed, in table order.
  public enum Kind: String, CaseIterable, Codable, Sendable {
    case layerNorm = "layernorm"
    case rmsNorm = "rmsnorm"
    case batchNorm = "batchnorm"
  }

  /// One kernel at one width: best and median ns per row over the repeats.
  public struct Timing: Codable, Sendable, Equatable {
    public var kind: Kind
    public var channels: Int
    public var forwardNS: Double
    public var backwardNS: Double
    public var forwardMedianNS: Double
    public var backwardMedianNS: Double

    enum CodingKeys: String, CodingKey {
      case kind, channels
      case forwardNS = "forward_ns"
      case backwardNS = "backward_ns"
      case forwardMedianNS = "forward_median_ns"
      case backwardMedianNS = "backward_median_ns"
    }
  }

  /// Rows per call (N).
  public var rows: Int
  /// Widths timed (C).
  public var channels: [Int]
  /// Timed calls of each kernel at each width; the best counts.
  public var repeats: Int

  public init(rows: Int, channels: [Int], repeats: Int) {
    (self.rows, self.channels, self.repeats) = (rows, channels, repeats)
  }

  /// Times every kind at every width; one untimed call of each warms caches and pages first.
  public func measure() -> [Timing] {
    channels.flatMap { c in
      let buffers = NormBuffers(rows: rows, channels: c)
      defer { buffers.deallocate() }
      var forward = [[Double]](repeating: [], count: Kind.allCases.count)
      var backward = forward
      for repeat_ in -1..<repeats {
        for (k, kind) in Kind.allCases.enumerated() {
          let start = monotonicSeconds()
          buffers.forward(kind)
          let middle = monotonicSeconds()
          buffers.backward(kind)
          let end = monotonicSeconds()
          guard repeat_ >= 0 else { continue }
          forward[k].append((middle - start) * 1e9 / Double(rows))
          backward[k].append((end - middle) * 1e9 / Double(rows))
        }
      }
      return Kind.allCases.enumerated().map { k, kind in
        Timing(
          kind: kind, channels: c, forwardNS: forward[k].min() ?? .nan,
          backwardNS: backward[k].min() ?? .nan, forwardMedianNS: median(forward[k]),
          backwardMedianNS: median(backward[k]))
      }
    }
  }

  /// The table `ddp bench norms` prints: one line per width, ns per row of each kernel
  /// (best of the repeats), and RMSNorm's speedup over LayerNorm.
  public static func table(_ timings: [Timing]) -> String {
    let kinds = Kind.allCases
    var columns = [TextTable.Column("C", alignment: .right)]
    for pass in ["fwd", "bwd"] {
      columns += kinds.map { TextTable.Column("\($0.rawValue) \(pass)", alignment: .right) }
    }
    columns += ["fwd", "bwd", "fwd+bwd"].map {
      TextTable.Column("RMS/LN speedup \($0)", alignment: .right)
    }
    var table = TextTable(columns)
    for c in Array(Set(timings.map(\.channels))).sorted() {
      let at = Dictionary(
        timings.filter { $0.channels == c }.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })
      guard let ln = at[.layerNorm], let rms = at[.rmsNorm] else { continue }
      var cells = ["\(c)"]
      cells += kinds.map { at[$0].map { fmt($0.forwardNS, 1) } ?? "-" }
      cells += kinds.map { at[$0].map { fmt($0.backwardNS, 1) } ?? "-" }
      cells += [
        ln.forwardNS / rms.forwardNS, ln.backwardNS / rms.backwardNS,
        (ln.forwardNS + ln.backwardNS) / (rms.forwardNS + rms.backwardNS),
      ].map { fmt($0, 2) + "x" }
      table.append(cells)
    }
    return table.text()
  }

  /// The norms of one training step of `run` on one worker: `layers` norm applications
  /// (`ModelLayout.normLayerCount`), each a forward and a backward over the micro-batch's
  /// `rows` = B·T rows at C = d_model.
  public struct StepShare: Sendable {
    public var rows: Int
    public var channels: Int
    public var layers: Int

    public init(run: RunConfig) {
      rows = run.train.batch / max(run.train.gradAccum, 1) * run.model.context
      channels = run.model.dModel
      layers = ModelLayout(run.model).normLayerCount
    }

    /// Milliseconds per step the norms of `kind` take, `layers · rows · (fwd + bwd ns/row)`,
    /// from timings at this share's rows and width.
    public func milliseconds(_ timing: Timing) -> Double {
      Double(layers * rows) * (timing.forwardNS + timing.backwardNS) * 1e-6
    }

    /// One line per kind: ms per step, and what RMSNorm saves against LayerNorm.
    public func summary(_ timings: [Timing]) -> String {
      let at = timings.filter { $0.channels == channels }
      var lines = at.map {
        "  \($0.kind.rawValue): \(fmt(milliseconds($0), 2)) ms/step "
          + "(\(layers) norm layers x \(rows) rows, forward + backward)"
      }
      if let ln = at.first(where: { $0.kind == .layerNorm }),
        let rms = at.first(where: { $0.kind == .rmsNorm })
      {
        lines.append(
          "  rmsnorm saves \(fmt(milliseconds(ln) - milliseconds(rms), 2)) ms/step against "
            + "layernorm; compare with ms/step of `ddp bench` on the same config")
      }
      return lines.joined(separator: "\n")
    }
  }

  func median(_ xs: [Double]) -> Double {
    xs.isEmpty ? .nan : xs.sorted()[xs.count / 2]
  }
}

/// The buffers of one width, shared by the three kinds so that each sees the same memory.
final class NormBuffers {
  let n: Int, c: Int
  let inp: UnsafeMutablePointer<Float>  // (N, C)
  let out: UnsafeMutablePointer<Float>  // (N, C)
  let dout: UnsafeMutablePointer<Float>  // (N, C)
  let dinp: UnsafeMutablePointer<Float>  // (N, C)
  let weight: UnsafeMutablePointer<Float>  // (C)
  let bias: UnsafeMutablePointer<Float>  // (C)
  let dweight: UnsafeMutablePointer<Float>  // (C)
  let dbias: UnsafeMutablePointer<Float>  // (C)
  let rowMean: UnsafeMutablePointer<Float>  // (N)
  let rowRstd: UnsafeMutablePointer<Float>  // (N)
  let channelMean: UnsafeMutablePointer<Float>  // (C)
  let channelRstd: UnsafeMutablePointer<Float>  // (C)
  let runningMean: UnsafeMutablePointer<Float>  // (C)
  let runningVar: UnsafeMutablePointer<Float>  // (C)
  let stats: UnsafeMutablePointer<Float>  // (2C + 1)
  let gradStats: UnsafeMutablePointer<Float>  // (2C)

  init(rows n: Int, channels c: Int) {
    (self.n, self.c) = (n, c)
    func buffer(_ count: Int, _ value: Float) -> UnsafeMutablePointer<Float> {
      let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
      p.initialize(repeating: value, count: count)
      return p
    }
    (inp, out, dout, dinp) = (
      buffer(n * c, 0), buffer(n * c, 0), buffer(n * c, 0), buffer(n * c, 0)
    )
    (weight, bias, dweight, dbias) = (buffer(c, 1), buffer(c, 0), buffer(c, 0), buffer(c, 0))
    (rowMean, rowRstd) = (buffer(n, 0), buffer(n, 0))
    (channelMean, channelRstd) = (buffer(c, 0), buffer(c, 0))
    (runningMean, runningVar) = (buffer(c, 0), buffer(c, 1))
    (stats, gradStats) = (buffer(2 * c + 1, 0), buffer(2 * c, 0))
    var rng = RandomNumbers(seed: 16)
    for i in 0..<(n * c) {
      inp[i] = Float(-2 + 5 * rng.nextUniform())
      dout[i] = Float(-1 + 2 * rng.nextUniform())
    }
  }

  func deallocate() {
    for p in [
      inp, out, dout, dinp, weight, bias, dweight, dbias, rowMean, rowRstd, channelMean,
      channelRstd, runningMean, runningVar, stats, gradStats,
    ] {
      p.deallocate()
    }
  }

  func forward(_ kind: NormBenchmark.Kind) {
    switch kind {
    case .layerNorm:
      layerNormForward(
        out: out, mean: rowMean, rstd: rowRstd, inp: inp, weight: weight, bias: bias, rows: n,
        channels: c)
    case .rmsNorm:
      rmsNormForward(out: out, rstd: rowRstd, inp: inp, weight: weight, rows: n, channels: c)
    case .batchNorm:
      batchNormStatistics(stats: stats, inp: inp, rows: n, channels: c)
      batchNormNormalize(
        out: out, mean: channelMean, rstd: channelRstd, runningMean: runningMean,
        runningVar: runningVar, inp: inp, weight: weight, bias: bias, stats: stats, rows: n,
        channels: c)
    }
  }

  /// The backward of `kind`, after its own forward (which left the statistics it reads).
  func backward(_ kind: NormBenchmark.Kind) {
    switch kind {
    case .layerNorm:
      layerNormBackward(
        dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
        mean: rowMean, rstd: rowRstd, rows: n, channels: c)
    case .rmsNorm:
      rmsNormBackward(
        dinp: dinp, dweight: dweight, dout: dout, inp: inp, weight: weight, rstd: rowRstd,
        rows: n, channels: c)
    case .batchNorm:
      batchNormGradientStatistics(
        stats: gradStats, dweight: dweight, dbias: dbias, dout: dout, inp: inp,
        mean: channelMean, rstd: channelRstd, rows: n, channels: c)
      batchNormBackward(
        dinp: dinp, dout: dout, inp: inp, weight: weight, mean: channelMean, rstd: channelRstd,
        stats: gradStats, count: Float(n), rows: n, channels: c)
    }
  }
}
