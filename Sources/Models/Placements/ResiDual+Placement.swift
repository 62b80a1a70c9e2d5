import Kernels

/// ResiDual: two streams start at x0; for each sublayer
///
/// ```
/// y = f(xa);   xd' = xd + y;   xa' = N(xa + y)
/// h = xa + N_f(xd)
/// ```
/// ### References
/// S. Xie et al., "ResiDual: Transformer with Dual Residual Connections", arXiv:2304.14802.
struct ResiDualPlacement: NormPlacement {
  static let hasFinalNorm = true
  static let savesNormInput = true
  static let savesNormOutput = false
  static let hasDeltaStream = true

  static func forward<Steps: PlacementSteps>(_ s: Int, _ slots: StreamSlots, _ steps: Steps) {
    guard let delta = slots.delta else { return }
    steps.sublayer(s, inp: slots.input, y: slots.y, residual: nil)
    accumulate(delta, slots.y, count: steps.count)
    residualForward(out: slots.normInput, a: slots.input, b: slots.y, count: steps.count)
    steps.norm(s, out: slots.normOut, inp: slots.normInput)
  }

  static func forwardEnd<Steps: PlacementSteps>(_ slots: EndSlots, _ steps: Steps) {
    guard let delta = slots.delta else { return }
    steps.finalNorm(out: slots.normOut, inp: delta)
    residualForward(out: slots.hidden, a: slots.input, b: slots.normOut, count: steps.count)
  }

  /// ∂h flows to xa unchanged (`grads.stream`) and through `norm_f` to xd (`grads.delta`).
  static func backwardEnd(_ model: Transformer, _ grads: BackwardSlots) {
    grads.delta.update(repeating: 0, count: grads.count)
    guard let xd = model.deltaStream else { return }
    model.finalNormBackward(inp: xd, dout: grads.stream, dinp: grads.delta)
  }

  static func backward(_ model: Transformer, _ s: Int, _ grads: BackwardSlots) {
    let act = model.sublayers[s]
    grads.normGrad.update(repeating: 0, count: grads.count)
    model.normBackward(act.norm, inp: act.normInput, dout: grads.stream, dinp: grads.normGrad)
    residualForward(out: grads.y, a: grads.normGrad, b: grads.delta, count: grads.count)
    grads.stream.update(from: grads.normGrad, count: grads.count)
    model.sublayerBackward(s, inp: act.input, dy: grads.y, dinp: grads.stream)
  }

  /// x0 fed both streams: its gradient is the sum of theirs.
  static func backwardStart(_ model: Transformer, _ grads: BackwardSlots) {
    accumulate(grads.stream, grads.delta, count: grads.count)
  }
}
