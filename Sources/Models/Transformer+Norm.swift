import Kernels

extension Transformer {
  /// Applies one norm application to (N, C) `inp`, writing `out` and its saved statistics: its
  /// training forward (statistics exchanged across workers when the kind exchanges them and
  /// `statisticsExchange` is set) or, in evaluation, its eval forward.
  func normForward(
    _ norm: any NormLayer, out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>
  ) {
    profiled(.norms) {
      if training {
        norm.forward(out: out, inp: inp, exchange: statisticsExchange)
      } else {
        norm.evalForward(out: out, inp: inp)
      }
    }
  }

  /// Backward of `normForward`: adds the input gradient into `dinp` and the norm's parameter
  /// gradients into `gradients`. Training mode only.
  func normBackward(
    _ norm: NormActivations, inp: UnsafeMutablePointer<Float>,
    dout: UnsafeMutablePointer<Float>, dinp: UnsafeMutablePointer<Float>
  ) {
    profiled(.norms) {
      norm.layer.backward(dinp: dinp, dout: dout, inp: inp, exchange: statisticsExchange)
    }
  }

  /// Backward of `norm_f`, when the placement has one.
  func finalNormBackward(
    inp: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    dinp: UnsafeMutablePointer<Float>
  ) {
    if let finalNorm { normBackward(finalNorm, inp: inp, dout: dout, dinp: dinp) }
  }
}
