import Config

/// Frobenius norms of one block's weight gradients.
public struct BlockGradientNorms: Sendable, Equatable, Codable {
  /// ‖∂loss/∂W‖_F of `attn.qkv.weight`, `attn.proj.weight`, `mlp.fc.weight`, `mlp.proj.weight`.
  public var attentionQKV, attentionProjection, mlpFC, mlpProjection: Double

  public init(
    attentionQKV: Double, attentionProjection: Double, mlpFC: Double, mlpProjection: Double
  ) {
    (self.attentionQKV, self.attentionProjection, self.mlpFC, self.mlpProjection) =
      (attentionQKV, attentionProjection, mlpFC, mlpProjection)
  }

  /// The four tensors' names within a block, in the order of ``values``.
  public static let tensorNames = ["attn.qkv", "attn.proj", "mlp.fc", "mlp.proj"]
  public var values: [Double] { [attentionQKV, attentionProjection, mlpFC, mlpProjection] }
}

extension Transformer {
  /// Every block's weight-gradient norms, from the `gradients` buffer as it stands (after a
  /// backward: the gradient of the mean loss, or, in training, what the workers summed).
  public func blockGradientNorms() -> [BlockGradientNorms] {
    layout.blocks.map { block in
      func norm(_ offset: Int, _ count: Int) -> Double {
        let g = gradients[offset]
        var sum: Double = 0
        for i in 0..<count { sum += Double(g[i]) * Double(g[i]) }
        return sum.squareRoot()
      }
      let c = config.dModel
      return BlockGradientNorms(
        attentionQKV: norm(block.qkvWeight, 3 * c * c),
        attentionProjection: norm(block.attnProjWeight, c * c),
        mlpFC: norm(block.fcWeight, 4 * c * c), mlpProjection: norm(block.mlpProjWeight, 4 * c * c))
    }
  }

  /// For each sublayer s (2L of them, attention then MLP per block), ‖f_s‖ / ‖x_s‖ over the
  /// last forward's batch: how much the sublayer's output f_s changes the stream it is added
  /// to. Small late-layer ratios are Pre-LN's representation collapse (Xie et al. 2023): the
  /// stream keeps growing and the sublayers add little to it.
  ///
  /// - Pre-LN: x_{s+1} = x_s + f_s, so f_s = x_{s+1} − x_s against x_s.
  /// - Post-LN: x_{s+1} = N(x_s + f_s); f_s = (x_s + f_s) − x_s against x_s (normalized).
  /// - ResiDual: f_s is added to the un-normed stream x_d = x_0 + Σ_{j<s} f_j, the stream that
  ///   grows; the ratio is against x_d.
  public func sublayerUpdateRatios() -> [Double] {
    let n = batch * config.context * config.dModel
    func norm(_ v: (Int) -> Double) -> Double {
      var sum: Double = 0
      for i in 0..<n { sum += v(i) * v(i) }
      return sum.squareRoot()
    }
    var unnormed = [Double](repeating: 0, count: 0)
    if config.placement == .residual, let first = sublayers.first {
      unnormed = (0..<n).map { Double(first.input[$0]) }
    }
    return sublayers.indices.map { s in
      let x = sublayers[s].input
      let update: (Int) -> Double
      switch config.placement {
      case .pre:
        let next = stream(after: s)
        update = { Double(next[$0]) - Double(x[$0]) }
      case .post, .residual:
        let sum = sublayers[s].normInput
        update = { Double(sum[$0]) - Double(x[$0]) }
      }
      guard config.placement == .residual else { return norm(update) / norm { Double(x[$0]) } }
      let ratio = norm(update) / norm { unnormed[$0] }
      for i in 0..<n { unnormed[i] += update(i) }
      return ratio
    }
  }
}
