import Config
import Kernels
import Support

/// `ddp bench attention`: causal softmax attention of one layer, forward and backward, the fused
/// kernel (FusedSoftmaxAttention.swift) against the per-head sgemm path, interleaved call by
/// call (the order alternating every repeat) so a busy machine slows both alike.
///
/// Shapes: B = micro-batch sequences, T = context, C = d_model, H = heads; the buffers are
/// qkv (B, T, 3C), out and dout (B, T, C), att (B, H, T, T), scratch (T, T), random in [−1, 1].
public struct AttentionBenchmark: Sendable {
  /// Best and median milliseconds per call of one path, wall and thread-CPU. The CPU clock stops
  /// while another process has the core, so the two medians part when the call was preempted;
  /// they do not when the slowdown is other processes' use of the shared caches and memory.
  public struct Timing: Codable, Sendable {
    public var path: String
    public var forwardMS: Double
    public var backwardMS: Double
    public var forwardMedianMS: Double
    public var backwardMedianMS: Double
    public var forwardCPUMedianMS: Double
    public var backwardCPUMedianMS: Double
    /// The fused path only: its six products alone, forward and backward of one layer, best
    /// ms (``AttentionProductsAlone``): what the kernel would take if it did nothing else.
    public var productsAloneMS: Double?

    enum CodingKeys: String, CodingKey {
      case path
      case forwardMS = "forward_ms"
      case backwardMS = "backward_ms"
      case forwardMedianMS = "forward_median_ms"
      case backwardMedianMS = "backward_median_ms"
      case forwardCPUMedianMS = "forward_cpu_median_ms"
      case backwardCPUMedianMS = "backward_cpu_median_ms"
      case productsAloneMS = "products_alone_ms"
    }
  }

  public var batch: Int, time: Int, channels: Int, heads: Int, layers: Int
  public var repeats: Int

  /// The shape of one worker's micro-batch of `run`.
  public init(run: RunConfig, repeats: Int) {
    batch = run.train.batch / max(run.train.gradAccum, 1)
    (time, channels, heads) = (run.model.context, run.model.dModel, run.model.nHeads)
    layers = run.model.nLayers
    self.repeats = repeats
  }

  /// Whether the fused kernel takes this shape (else both paths are the sgemm one).
  public var fusedApplies: Bool {
    fusedAttentionApplies(time: time, headSize: channels / heads)
  }

  /// Times both paths `repeats` times each, interleaved; fused first. Then, where the fused
  /// kernel takes the shape, its products alone (best of `repeats`).
  public func measure() -> [Timing] {
    let (b, t, c, nh) = (batch, time, channels, heads)
    var rng = RandomNumbers(seed: 16)
    func buffer(_ count: Int) -> [Float] {
      (0..<count).map { _ in Float(rng.nextUniform() * 2 - 1) }
    }
    var qkv = buffer(b * t * 3 * c)
    var dout = buffer(b * t * c)
    var out = [Float](repeating: 0, count: b * t * c)
    var dqkv = [Float](repeating: 0, count: b * t * 3 * c)
    var att = [Float](repeating: 0, count: b * nh * t * t)
    var scratch = [Float](repeating: 0, count: softmaxAttentionScratchCount(time: t))
    // fused fwd, fused bwd, sgemm fwd, bwd; wall then thread-CPU
    var samples = [[Double]](repeating: [], count: 8)
    for r in 0..<repeats {
      for fused in r % 2 == 0 ? [true, false] : [false, true] {
        let slot = fused ? 0 : 2
        let (start, startCPU) = (monotonicSeconds(), threadCPUSeconds())
        softmaxAttentionForward(
          out: &out, att: &att, qkv: &qkv, batch: b, time: t, channels: c, heads: nh,
          fused: fused)
        let (middle, middleCPU) = (monotonicSeconds(), threadCPUSeconds())
        softmaxAttentionBackward(
          dqkv: &dqkv, dout: &dout, att: &att, qkv: &qkv, scratch: &scratch, batch: b, time: t,
          channels: c, heads: nh, accumulate: false, fused: fused)
        let (end, endCPU) = (monotonicSeconds(), threadCPUSeconds())
        samples[slot].append((middle - start) * 1e3)
        samples[slot + 1].append((end - middle) * 1e3)
        samples[slot + 4].append((middleCPU - startCPU) * 1e3)
        samples[slot + 5].append((endCPU - middleCPU) * 1e3)
      }
    }
    func timing(_ path: String, _ slot: Int) -> Timing {
      let (f, bw) = (samples[slot].sorted(), samples[slot + 1].sorted())
      let (fCPU, bwCPU) = (samples[slot + 4].sorted(), samples[slot + 5].sorted())
      return Timing(
        path: path, forwardMS: f[0], backwardMS: bw[0], forwardMedianMS: f[f.count / 2],
        backwardMedianMS: bw[bw.count / 2], forwardCPUMedianMS: fCPU[fCPU.count / 2],
        backwardCPUMedianMS: bwCPU[bwCPU.count / 2])
    }
    var fused = timing("fused", 0)
    if fusedApplies {
      let products = AttentionProductsAlone(
        batch: b, time: t, channels: c, heads: nh, repeats: repeats)
      fused.productsAloneMS = products.seconds * 1e3
    }
    return [fused, timing("sgemm", 2)]
  }

  /// One row per path: best and median ms per call, the thread-CPU median, ms per step
  /// (× layers, best); the fused kernel against its products alone; the speedup.
  public func table(_ timings: [Timing]) -> String {
    var rows: [(String, String)] = timings.map {
      (
        "\($0.path): forward / backward ms (best, median, CPU median)",
        "\(fmt($0.forwardMS, 3)) / \(fmt($0.backwardMS, 3)) "
          + "(\(fmt($0.forwardMedianMS, 3)) / \(fmt($0.backwardMedianMS, 3)), "
          + "\(fmt($0.forwardCPUMedianMS, 3)) / \(fmt($0.backwardCPUMedianMS, 3))), "
          + "\(fmt(Double(layers) * ($0.forwardMS + $0.backwardMS), 2)) ms/step"
      )
    }
    if let fused = timings.first, let products = fused.productsAloneMS {
      rows.append(
        (
          "fused: its products alone, forward + backward",
          "\(fmt(products, 3)) ms best; the kernel takes "
            + "\(fmt((fused.forwardMS + fused.backwardMS) / products, 2))x that"
        ))
    }
    if timings.count == 2 {
      let (fused, sgemm) = (timings[0], timings[1])
      rows.append(
        (
          "sgemm / fused, forward + backward",
          fmt((sgemm.forwardMS + sgemm.backwardMS) / (fused.forwardMS + fused.backwardMS), 2)
            + "x best, "
            + fmt(
              (sgemm.forwardMedianMS + sgemm.backwardMedianMS)
                / (fused.forwardMedianMS + fused.backwardMedianMS), 2) + "x median"
        ))
    }
    return TextTable.keyValue(rows)
  }
}
