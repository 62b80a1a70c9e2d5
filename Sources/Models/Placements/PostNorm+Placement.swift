import Kernels

/// Post-LN, as in the original figure: `x' = N(x + f(x))` for each sublayer; no final norm.
///
/// ### References
/// A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
struct PostNormPlacement: NormPlacement {
  static let hasFinalNorm = false
  static let savesNormInput = true
  static let savesNormOutput = false

  static func forward<Steps: PlacementSteps>(_ s: Int, _ slots: StreamSlots, _ steps: Steps) {
    steps.sublayer(s, inp: slots.input, y: slots.normInput, residual: slots.input)
    steps.norm(s, out: slots.normOut, inp: slots.normInput)
  }

  /// `h = x`: the model reads the last stream in place, the generator copies it.
  static func forwardEnd<Steps: PlacementSteps>(_ slots: EndSlots, _ steps: Steps) {
    if slots.hidden != slots.input { slots.hidden.update(from: slots.input, count: steps.count) }
  }

  static func backwardEnd(_ model: Transformer, _ grads: BackwardSlots) {}

  static func backward(_ model: Transformer, _ s: Int, _ grads: BackwardSlots) {
    let act = model.sublayers[s]
    grads.normGrad.update(repeating: 0, count: grads.count)
    model.normBackward(act.norm, inp: act.normInput, dout: grads.stream, dinp: grads.normGrad)
    grads.stream.update(from: grads.normGrad, count: grads.count)
    model.sublayerBackward(s, inp: act.input, dy: grads.normGrad, dinp: grads.stream)
  }
}
