import Kernels

/// Pre-LN, as in the published code: `x' = x + f(N(x))` for each sublayer, then `h = N_f(x)`.
///
/// ### References
/// R. Xiong et al., "On Layer Normalization in the Transformer Architecture", ICML 2020.
struct PreNormPlacement: NormPlacement {
  static let hasFinalNorm = true
  static let savesNormInput = false
  static let savesNormOutput = true

  static func forward<Steps: PlacementSteps>(_ s: Int, _ slots: StreamSlots, _ steps: Steps) {
    steps.norm(s, out: slots.normOut, inp: slots.input)
    steps.sublayer(s, inp: slots.normOut, y: slots.next, residual: slots.input)
  }

  static func forwardEnd<Steps: PlacementSteps>(_ slots: EndSlots, _ steps: Steps) {
    steps.finalNorm(out: slots.hidden, inp: slots.input)
  }

  static func headGradient(_ grads: BackwardSlots) -> UnsafeMutablePointer<Float> {
    grads.y.update(repeating: 0, count: grads.count)
    return grads.y
  }

  /// The head's gradient arrives in `grads.y`; `norm_f` carries it into `grads.stream`.
  static func backwardEnd(_ model: Transformer, _ grads: BackwardSlots) {
    model.finalNormBackward(inp: model.finalInput, dout: grads.y, dinp: grads.stream)
  }

  static func backward(_ model: Transformer, _ s: Int, _ grads: BackwardSlots) {
    let act = model.sublayers[s]
    model.sublayerBackward(
      s, inp: act.norm.out, dy: grads.stream, dinp: grads.normGrad, overwriteInput: true)
    model.normBackward(act.norm, inp: act.input, dout: grads.normGrad, dinp: grads.stream)
  }
}
