import Kernels

extension Transformer {
  /// Runs the model on one micro-batch and returns the mean cross-entropy.
  ///
  /// - Parameters:
  ///   - tokens: (B, T) input token ids in 0..<V.
  ///   - targets: (B, T) next-token ids in 0..<V.
  ///   - training: BatchNorm uses batch statistics (and updates running statistics) when true,
  ///     running statistics when false; `backward` needs a training forward.
  @discardableResult
  public func forward(
    tokens inputTokens: UnsafePointer<Int32>, targets inputTargets: UnsafePointer<Int32>,
    training: Bool = true
  ) -> Float {
    let (b, t, c) = (batch, config.context, config.dModel)
    let n = b * t
    self.training = training
    tokens.update(from: inputTokens, count: n)
    targets.update(from: inputTargets, count: n)
    let p = parameters
    let x0 = sublayers.first?.input ?? finalInput
    embeddingForward(
      out: x0, tokens: tokens, wte: p[layout.wte], wpe: p[layout.wpe], batch: b, time: t,
      channels: c)
    let y = scratch.view("y")
    let delta = activations.view("final.delta", orNil: config.placement != .residual)
    if let delta { delta.update(from: x0, count: n * c) }

    for s in sublayers.indices {
      let act = sublayers[s]
      switch config.placement {
      case .pre:  // x' = x + f(N(x))
        normForward(act.norm, inp: act.input)
        sublayerForward(s, inp: act.norm.out, y: stream(after: s), residual: act.input)
      case .post:  // x' = N(x + f(x))
        sublayerForward(s, inp: act.input, y: act.normInput, residual: act.input)
        normForward(act.norm, inp: act.normInput)
      case .residual:  // y = f(xa); xd' = xd + y; xa' = N(xa + y)
        sublayerForward(s, inp: act.input, y: y)
        accumulate(delta!, y, count: n * c)
        residualForward(out: act.normInput, a: act.input, b: y, count: n * c)
        normForward(act.norm, inp: act.normInput)
      }
    }
    switch config.placement {
    case .pre:
      if let finalNorm { normForward(finalNorm, inp: finalInput) }
    case .post:
      break
    case .residual:  // h = xa + N_f(xd)
      if let finalNorm, let delta {
        normForward(finalNorm, inp: delta)
        residualForward(out: hidden, a: finalInput, b: finalNorm.out, count: n * c)
      }
    }
    return crossEntropyForward(
      probs: probs, h: hidden, wte: p[layout.wte], targets: targets, rows: n, channels: c,
      vocabulary: config.vocabSize)
  }

  /// Backward of the last (training) `forward`, adding `lossScale · ∂loss/∂θ` into `gradients`.
  /// `onBlockDone(i)` is called as soon as block i's gradients are final (blocks finish in
  /// reverse order), so a caller can start reducing them while earlier blocks run.
  public func backward(lossScale: Float = 1, onBlockDone: ((Int) -> Void)? = nil) {
    precondition(training, "backward needs a training-mode forward")
    let (b, t, c) = (batch, config.context, config.dModel)
    let n = b * t
    let (p, g) = (parameters, gradients)
    let stream = scratch.view("stream")  // ∂loss/∂x (or ∂/∂xa) of the current stream
    let delta = scratch.view("delta")  // ResiDual: ∂loss/∂xd
    let normGrad = scratch.view("norm_grad")
    let y = scratch.view("y")
    stream.update(repeating: 0, count: n * c)

    switch config.placement {
    case .pre:
      y.update(repeating: 0, count: n * c)
      crossEntropyBackward(
        dh: y, dwte: g[layout.wte], probs: probs, h: hidden, wte: p[layout.wte],
        targets: targets, dloss: lossScale, rows: n, channels: c, vocabulary: config.vocabSize)
      if let finalNorm { normBackward(finalNorm, inp: finalInput, dout: y, dinp: stream) }
    case .post:
      crossEntropyBackward(
        dh: stream, dwte: g[layout.wte], probs: probs, h: hidden, wte: p[layout.wte],
        targets: targets, dloss: lossScale, rows: n, channels: c, vocabulary: config.vocabSize)
    case .residual:
      crossEntropyBackward(
        dh: stream, dwte: g[layout.wte], probs: probs, h: hidden, wte: p[layout.wte],
        targets: targets, dloss: lossScale, rows: n, channels: c, vocabulary: config.vocabSize)
      delta.update(repeating: 0, count: n * c)
      if let finalNorm {
        normBackward(finalNorm, inp: activations.view("final.delta"), dout: stream, dinp: delta)
      }
    }

    for s in sublayers.indices.reversed() {
      let act = sublayers[s]
      if config.placement != .pre { normGrad.update(repeating: 0, count: n * c) }
      switch config.placement {
      case .pre:
        sublayerBackward(s, inp: act.norm.out, dy: stream, dinp: normGrad, overwriteInput: true)
        normBackward(act.norm, inp: act.input, dout: normGrad, dinp: stream)
      case .post:
        normBackward(act.norm, inp: act.normInput, dout: stream, dinp: normGrad)
        stream.update(from: normGrad, count: n * c)
        sublayerBackward(s, inp: act.input, dy: normGrad, dinp: stream)
      case .residual:
        normBackward(act.norm, inp: act.normInput, dout: stream, dinp: normGrad)
        residualForward(out: y, a: normGrad, b: delta, count: n * c)
        stream.update(from: normGrad, count: n * c)
        sublayerBackward(s, inp: act.input, dy: y, dinp: stream)
      }
      if s % 2 == 0, s > 0 { onBlockDone?(s / 2) }
    }
    if config.placement == .residual { accumulate(stream, delta, count: n * c) }
    embeddingBackward(
      dwte: g[layout.wte], dwpe: g[layout.wpe], dout: stream, tokens: tokens, batch: b,
      time: t, channels: c)
    onBlockDone?(0)
  }

  /// The residual stream after sublayer `s`: the next sublayer's input, or the final stream.
  func stream(after s: Int) -> UnsafeMutablePointer<Float> {
    s + 1 < sublayers.count ? sublayers[s + 1].input : finalInput
  }
}

extension FlatTensors {
  /// The view called `name`, or nil when `absent` is true.
  func view(_ name: String, orNil absent: Bool) -> UnsafeMutablePointer<Float>? {
    absent ? nil : view(name)
  }
}
