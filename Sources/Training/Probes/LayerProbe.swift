import Config
import Datasets
import Distributed
import Models
import Support

/// What `ddp probe` measures of a model, per layer, averaged over batches (and workers).
public struct LayerProbeResult: Codable, Sendable, Equatable {
  /// Blocks L and sublayers 2L.
  public var layers: Int
  /// Batches averaged: steps × workers, each of `batch` sequences.
  public var batches: Int
  public var batch: Int
  /// Mean training loss of the probed batches (nats per token).
  public var loss: Double
  /// Mean ‖∂loss/∂W‖_F per block, by tensor (`attn.qkv`, `attn.proj`, `mlp.fc`, `mlp.proj`):
  /// element l is block l. Each batch's gradient is that of its mean loss.
  public var gradientNorms: [String: [Double]]
  /// Mean ‖f_s‖ / ‖x_s‖ per sublayer s (see `Transformer.sublayerUpdateRatios`).
  public var updateRatios: [Double]

  enum CodingKeys: String, CodingKey {
    case layers, batches, batch, loss
    case gradientNorms = "gradient_norms"
    case updateRatios = "update_ratios"
  }

  public init(
    layers: Int, batches: Int, batch: Int, loss: Double, gradientNorms: [String: [Double]],
    updateRatios: [Double]
  ) {
    (self.layers, self.batches, self.batch, self.loss) = (layers, batches, batch, loss)
    (self.gradientNorms, self.updateRatios) = (gradientNorms, updateRatios)
  }
}

/// Per-layer gradient norms and sublayer update ratios of a model on real data.
///
/// Each of `steps` rounds draws a global batch of `batch × workers` windows; every worker takes
/// its shard, runs one training-mode forward and backward of its shard's mean loss, and
/// measures each block's weight-gradient norms and each sublayer's update ratio. The figures
/// are summed over workers (one all-reduce at the end) and averaged over all `steps × workers`
/// batches: the mean of per-batch norms, as Xiong et al. (Fig. 3) average the gradient norm
/// over batches, not the norm of the mean gradient. Parameters are not updated.
public enum LayerProbe {
  public static func measure(
    model: Transformer, tokens: [UInt8], seed: UInt64, steps: Int,
    communicator: any Communicator
  ) -> LayerProbeResult {
    let (b, t, layers) = (model.batch, model.config.context, model.config.nLayers)
    let workers = communicator.size
    var sampler = BatchSampler(tokens: tokens, context: t, seed: seed)
    let inputs = UnsafeMutablePointer<Int32>.allocate(capacity: b * t)
    let targets = UnsafeMutablePointer<Int32>.allocate(capacity: b * t)
    defer {
      inputs.deallocate()
      targets.deallocate()
    }
    // [loss, 4 × L gradient norms (tensor-major), 2L ratios], summed over batches.
    var sums = [Double](repeating: 0, count: 1 + 4 * layers + 2 * layers)
    for _ in 0..<steps {
      sampler.nextBatch(
        globalBatch: b * workers, rank: communicator.rank, workers: workers, inputs: inputs,
        targets: targets)
      model.zeroGradients()
      sums[0] += Double(model.forward(tokens: inputs, targets: targets, training: true))
      for (s, ratio) in model.sublayerUpdateRatios().enumerated() {
        sums[1 + 4 * layers + s] += ratio
      }
      model.backward()
      for (l, block) in model.blockGradientNorms().enumerated() {
        for (k, value) in block.values.enumerated() { sums[1 + k * layers + l] += value }
      }
    }
    communicator.allReduceSum(&sums, category: .control)
    let count = Double(steps * workers)
    let means = sums.map { $0 / count }
    var norms: [String: [Double]] = [:]
    for (k, name) in BlockGradientNorms.tensorNames.enumerated() {
      norms[name] = Array(means[(1 + k * layers)..<(1 + (k + 1) * layers)])
    }
    return LayerProbeResult(
      layers: layers, batches: steps * workers, batch: b, loss: means[0], gradientNorms: norms,
      updateRatios: Array(means[(1 + 4 * layers)...]))
  }
}
