import Config
import Kernels
import Support

extension StepFloor {
  /// The fused softmax attention kernel's six causal products (``AttentionProductsAlone``),
  /// every layer of the step, each timed alone: the matrix products the sgemm floor leaves out.
  ///
  /// ```
  /// floorMS          = layers · best ms of one layer's products alone
  /// floor + floorMS  = every matrix product of the step at its rate alone
  /// ```
  public struct AttentionProducts: Codable, Sendable {
    public var layers: Int
    /// layers · best wall and thread-CPU ms of one layer's products alone.
    public var floorMS: Double
    public var floorCPUMS: Double
    /// layers · mean thread-CPU ms alone.
    public var meanCPUMS: Double
    /// The products' rate alone (their multiply-adds × 2 over the best wall time).
    public var gflops: Double

    public init(_ alone: AttentionProductsAlone, layers: Int) {
      self.layers = layers
      (floorMS, floorCPUMS) = (
        Double(layers) * alone.seconds * 1e3, Double(layers) * alone.cpuSeconds * 1e3
      )
      meanCPUMS = Double(layers) * alone.meanCPUSeconds * 1e3
      gflops = alone.flops / alone.seconds / 1e9
    }
  }

  /// The sgemm floor plus the attention products' (the sgemm floor alone without them), wall
  /// and thread CPU.
  public var allProductsFloorMS: Double { floorMS + (attentionProducts?.floorMS ?? 0) }
  public var allProductsFloorCPUMS: Double {
    floorCPUMS + (attentionProducts?.floorCPUMS ?? 0)
  }
  /// The same with the alone timings' means instead of their best: the statistic of the step
  /// (a mean of its steps), thread CPU ms.
  public var allProductsAloneMeanCPUMS: Double {
    aloneMeanCPUMS + (attentionProducts?.meanCPUMS ?? 0)
  }

  /// The two summary rows of the floor with the attention products, for a step of `stepMS`
  /// (a median; the CPU ratio uses the profiled steps' mean): none without those products.
  ///
  /// ```
  ///   + attention products alone             11.2 (6 layers, 117.3 GFLOP/s) = 321.7
  /// step / (floor + attention products)      1.22x (thread CPU time, mean: 1.19x; against the
  ///                                          alone means: 1.12x)
  /// ```
  public func allProductsRows(stepMS: Double) -> [(String, String)] {
    guard let products = attentionProducts else { return [] }
    let layers = "\(counted(products.layers, "layer"))"
    return [
      (
        "  + attention products alone",
        "\(fmt(products.floorMS, 1)) (\(layers), \(fmt(products.gflops, 1)) GFLOP/s) = "
          + fmt(allProductsFloorMS, 1)
      ),
      (
        "step / (floor + attention products)",
        "\(fmt(stepMS / allProductsFloorMS, 2))x (thread CPU time, mean: "
          + "\(fmt(stepCPUMS / allProductsFloorCPUMS, 2))x; against the alone means: "
          + "\(fmt(stepCPUMS / allProductsAloneMeanCPUMS, 2))x)"
      ),
    ]
  }
}

extension StepFloor.AttentionProducts {
  /// One layer of `model`'s fused softmax attention products at micro-batch `batch`, timed
  /// alone (``AttentionProductsAlone``), with the layers that run them: the `attention`
  /// argument of ``StepFloor/init(profiler:steps:stepSeconds:stepCPUSeconds:repeats:attention:)``.
  /// Nil when the model runs another attention kind, or a shape the fused kernel does not take.
  public static func timedAlone(model: ModelConfig, batch: Int, repeats: Int) -> (
    alone: AttentionProductsAlone, layers: Int
  )? {
    let (t, c, nh) = (model.context, model.dModel, model.nHeads)
    guard model.attention == .softmax, fusedAttentionApplies(time: t, headSize: c / nh) else {
      return nil
    }
    let alone = AttentionProductsAlone(
      batch: batch, time: t, channels: c, heads: nh, repeats: repeats)
    return (alone, model.nLayers)
  }
}
