import Kernels

extension Transformer {
  /// Applies the configured norm to (N, C) `inp`, writing `act.out` and its saved statistics.
  /// BatchNorm uses batch statistics (exchanged across workers for `syncbatchnorm`) in training
  /// and running statistics in evaluation.
  func normForward(_ n: NormOffsets, _ act: NormActivations, inp: UnsafeMutablePointer<Float>) {
    let (rows, c) = (batch * config.context, config.dModel)
    let p = parameters
    switch config.norm {
    case .none:
      if act.out != inp { act.out.update(from: inp, count: rows * c) }
    case .layernorm:
      layerNormForward(
        out: act.out, mean: act.mean, rstd: act.rstd, inp: inp, weight: p[n.weight!],
        bias: p[n.bias!], rows: rows, channels: c)
    case .rmsnorm:
      rmsNormForward(
        out: act.out, rstd: act.rstd, inp: inp, weight: p[n.weight!], rows: rows, channels: c)
    case .batchnorm, .syncbatchnorm:
      let (runningMean, runningVar) = (buffers[n.runningMean!], buffers[n.runningVar!])
      guard training else {
        batchNormEvalForward(
          out: act.out, rstdScratch: act.rstd, inp: inp, weight: p[n.weight!], bias: p[n.bias!],
          runningMean: runningMean, runningVar: runningVar, rows: rows, channels: c)
        return
      }
      let stats = scratch.view("norm_stats")
      batchNormStatistics(stats: stats, inp: inp, rows: rows, channels: c)
      if config.norm == .syncbatchnorm, let exchange = statisticsExchange {
        exchange.sumAcrossWorkers(stats, count: batchNormStatisticsCount(channels: c))
      }
      batchNormNormalize(
        out: act.out, mean: act.mean, rstd: act.rstd, runningMean: runningMean,
        runningVar: runningVar, inp: inp, weight: p[n.weight!], bias: p[n.bias!],
        stats: stats, rows: rows, channels: c)
      act.mean[c] = stats[2 * c]  // rows over all workers, for the backward
    }
  }

  /// Backward of `normForward`: adds the input gradient into `dinp` and the weight and bias
  /// gradients into `gradients`. Training mode only.
  func normBackward(
    _ n: NormOffsets, _ act: NormActivations, inp: UnsafeMutablePointer<Float>,
    dout: UnsafeMutablePointer<Float>, dinp: UnsafeMutablePointer<Float>
  ) {
    let (rows, c) = (batch * config.context, config.dModel)
    let (p, g) = (parameters, gradients)
    switch config.norm {
    case .none:
      accumulate(dinp, dout, count: rows * c)
    case .layernorm:
      layerNormBackward(
        dinp: dinp, dweight: g[n.weight!], dbias: g[n.bias!], dout: dout, inp: inp,
        weight: p[n.weight!], mean: act.mean, rstd: act.rstd, rows: rows, channels: c)
    case .rmsnorm:
      rmsNormBackward(
        dinp: dinp, dweight: g[n.weight!], dout: dout, inp: inp, weight: p[n.weight!],
        rstd: act.rstd, rows: rows, channels: c)
    case .batchnorm, .syncbatchnorm:
      let stats = scratch.view("norm_stats")
      batchNormGradientStatistics(
        stats: stats, dweight: g[n.weight!], dbias: g[n.bias!], dout: dout, inp: inp,
        mean: act.mean, rstd: act.rstd, rows: rows, channels: c)
      if config.norm == .syncbatchnorm, let exchange = statisticsExchange {
        exchange.sumAcrossWorkers(stats, count: batchNormGradientStatisticsCount(channels: c))
      }
      batchNormBackward(
        dinp: dinp, dout: dout, inp: inp, weight: p[n.weight!], mean: act.mean,
        rstd: act.rstd, stats: stats, count: act.mean[c], rows: rows, channels: c)
    }
  }
}
