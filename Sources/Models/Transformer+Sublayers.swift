import Kernels

extension Transformer {
  /// Attention sublayer: `y = proj(attention(qkv(x))) (+ residual)`, (N, C) → (N, C) into `y`.
  func attentionForward(
    _ i: Int, inp: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
    residual: UnsafeMutablePointer<Float>?
  ) {
    let (b, t, c) = (batch, config.context, config.dModel)
    let (n, w, act) = (b * t, layout.blocks[i], attention[i])
    let p = parameters
    linearForward(
      out: act.qkv, inp: inp, weight: p[w.qkvWeight], bias: p[w.qkvBias], rows: n,
      inChannels: c, outChannels: 3 * c)
    profiled(.attention) { act.mixer.forward(out: act.out, qkv: act.qkv, inp: inp) }
    linearForward(
      out: y, inp: act.out, weight: p[w.attnProjWeight], bias: p[w.attnProjBias], rows: n,
      inChannels: c, outChannels: c, residual: residual)
  }

  /// Backward of `attentionForward`: adds into `dinp` (writes it, with `overwriteInput`) and
  /// into the block's parameter gradients.
  func attentionBackward(
    _ i: Int, inp: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
    dinp: UnsafeMutablePointer<Float>, overwriteInput: Bool
  ) {
    let (b, t, c) = (batch, config.context, config.dModel)
    let (n, w, act) = (b * t, layout.blocks[i], attention[i])
    let (p, g) = (parameters, gradients)
    let (dout, dqkv) = (work.sublayerGrad, work.wideA)
    linearBackward(
      dinp: dout, dweight: g[w.attnProjWeight], dbias: g[w.attnProjBias], dout: dy,
      inp: act.out, weight: p[w.attnProjWeight], rows: n, inChannels: c, outChannels: c,
      overwriteInput: true)
    profiled(.attention) {
      act.mixer.backward(dqkv: dqkv, dout: dout, out: act.out, qkv: act.qkv)
    }
    linearBackward(
      dinp: dinp, dweight: g[w.qkvWeight], dbias: g[w.qkvBias], dout: dqkv, inp: inp,
      weight: p[w.qkvWeight], rows: n, inChannels: c, outChannels: 3 * c,
      overwriteInput: overwriteInput)
    // After the qkv backward, which may overwrite dinp.
    profiled(.attention) { act.mixer.backwardInput(dinp: dinp, inp: inp) }
  }

  /// MLP sublayer: `y = proj(gelu(fc(x))) (+ residual)`, (N, C) → (N, 4C) → (N, C) into `y`.
  func mlpForward(
    _ i: Int, inp: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
    residual: UnsafeMutablePointer<Float>?
  ) {
    let (n, c) = (batch * config.context, config.dModel)
    let (w, act, p) = (layout.blocks[i], mlp[i], parameters)
    // fc without its bias, then GELU adds the bias in place: the backward needs only gelu′.
    linearForward(
      out: act.gelu, inp: inp, weight: p[w.fcWeight], bias: nil, rows: n, inChannels: c,
      outChannels: 4 * c)
    profiled(.elementwise) {
      geluForward(
        out: act.gelu, derivative: act.geluDerivative, inp: act.gelu, bias: p[w.fcBias],
        columns: 4 * c, count: n * 4 * c)
    }
    linearForward(
      out: y, inp: act.gelu, weight: p[w.mlpProjWeight], bias: p[w.mlpProjBias], rows: n,
      inChannels: 4 * c, outChannels: c, residual: residual)
  }

  /// Backward of `mlpForward`: adds into `dinp` (writes it, with `overwriteInput`) and into the
  /// block's parameter gradients.
  func mlpBackward(
    _ i: Int, inp: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
    dinp: UnsafeMutablePointer<Float>, overwriteInput: Bool
  ) {
    let (n, c) = (batch * config.context, config.dModel)
    let (w, act, p, g) = (layout.blocks[i], mlp[i], parameters, gradients)
    let dwide = work.wideA  // (N, 4C): the gradient of the GELU output, then of its input
    linearBackward(
      dinp: dwide, dweight: g[w.mlpProjWeight], dbias: g[w.mlpProjBias], dout: dy,
      inp: act.gelu, weight: p[w.mlpProjWeight], rows: n, inChannels: 4 * c, outChannels: c,
      overwriteInput: true)
    // In place, with the fc bias's gradient (the bias GELU added) summed in the same pass.
    profiled(.elementwise) {
      geluBackward(
        dinp: dwide, derivative: act.geluDerivative, dout: dwide, count: n * 4 * c,
        biasGradient: g[w.fcBias], columns: 4 * c)
    }
    linearBackward(
      dinp: dinp, dweight: g[w.fcWeight], dbias: nil, dout: dwide, inp: inp,
      weight: p[w.fcWeight], rows: n, inChannels: c, outChannels: 4 * c,
      overwriteInput: overwriteInput)
  }

  /// Runs sublayer `s` (even: attention of block s/2, odd: MLP of block s/2) into `y`, adding
  /// `residual` when given.
  func sublayerForward(
    _ s: Int, inp: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
    residual: UnsafeMutablePointer<Float>? = nil
  ) {
    if s % 2 == 0 {
      attentionForward(s / 2, inp: inp, y: y, residual: residual)
    } else {
      mlpForward(s / 2, inp: inp, y: y, residual: residual)
    }
  }

  func sublayerBackward(
    _ s: Int, inp: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>,
    dinp: UnsafeMutablePointer<Float>, overwriteInput: Bool = false
  ) {
    if s % 2 == 0 {
      attentionBackward(s / 2, inp: inp, dy: dy, dinp: dinp, overwriteInput: overwriteInput)
    } else {
      mlpBackward(s / 2, inp: inp, dy: dy, dinp: dinp, overwriteInput: overwriteInput)
    }
  }
}
