extension Transformer {
  /// Applies one norm application to (N, C) `inp`, writing `norm.out` and its saved statistics:
  /// its training forward (statistics exchanged across workers when the kind exchanges them and
  /// `statisticsExchange` is set) or, in evaluation, its eval forward.
  func normForward(_ norm: NormActivations, inp: UnsafeMutablePointer<Float>) {
    if training {
      norm.layer.forward(out: norm.out, inp: inp, exchange: statisticsExchange)
    } else {
      norm.layer.evalForward(out: norm.out, inp: inp)
    }
  }

  /// Backward of `normForward`: adds the input gradient into `dinp` and the norm's parameter
  /// gradients into `gradients`. Training mode only.
  func normBackward(
    _ norm: NormActivations, inp: UnsafeMutablePointer<Float>,
    dout: UnsafeMutablePointer<Float>, dinp: UnsafeMutablePointer<Float>
  ) {
    norm.layer.backward(dinp: dinp, dout: dout, inp: inp, exchange: statisticsExchange)
  }
}
