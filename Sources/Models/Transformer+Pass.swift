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
    let n = batch * config.context
    targets.update(from: inputTargets, count: n)
    forwardBody(tokens: inputTokens, training: training)
    return crossEntropyForward(
      probs: probs, h: hidden, wte: parameters[layout.wte], targets: targets, rows: n,
      channels: config.dModel, vocabulary: config.vocabSize)
  }

  /// The blocks up to the hidden state h (N, C) that a head reads.
  func forwardBody(tokens inputTokens: UnsafePointer<Int32>, training: Bool) {
    let (b, t, c) = (batch, config.context, config.dModel)
    let n = b * t
    self.training = training
    tokens.update(from: inputTokens, count: n)
    let p = parameters
    let x0 = sublayers.first?.input ?? finalInput
    profiled(.elementwise) {
      embeddingForward(
        out: x0, tokens: tokens, wte: p[layout.wte], wpe: p[layout.wpe], batch: b, time: t,
        channels: c)
    }
    let (y, delta) = (work.y, deltaStream)
    if let delta { delta.update(from: x0, count: n * c) }

    let steps = TrainingSteps(model: self)
    for s in sublayers.indices {
      let act = sublayers[s]
      placement.forward(
        s,
        StreamSlots(
          input: act.input, normInput: act.normInput, normOut: act.norm.out,
          next: stream(after: s), y: y, delta: delta), steps)
    }
    placement.forwardEnd(
      EndSlots(
        input: finalInput, delta: delta, normOut: finalNorm?.out ?? hidden, hidden: hidden),
      steps)
  }

  /// Backward of the last (training) `forward` or `classify`, adding `lossScale · ∂loss/∂θ` into `gradients`.
  /// `onBlockDone(i)` is called as soon as block i's gradients are final (blocks finish in
  /// reverse order), so a caller can start reducing them while earlier blocks run.
  ///
  /// With `firstBlock` set (frozen layers below it: gradual unfreezing), the backward stops
  /// after block `firstBlock` (`nLayers`: after the final norm): the blocks below and the
  /// embeddings get no gradient, and the tied head's `wte` gradient GEMM is skipped. Their
  /// gradients keep what they held.
  public func backward(
    lossScale: Float = 1, firstBlock: Int? = nil, onBlockDone: ((Int) -> Void)? = nil
  ) {
    precondition(training, "backward needs a training-mode forward")
    let (b, t, c) = (batch, config.context, config.dModel)
    let n = b * t
    let (p, g) = (parameters, gradients)
    let grads = BackwardSlots(
      stream: work.stream, delta: work.delta, normGrad: work.normGrad, y: work.y, count: n * c)
    profiled(.elementwise) { grads.stream.update(repeating: 0, count: n * c) }
    let dh = placement.headGradient(grads)
    let headWTE: UnsafeMutablePointer<Float>? = firstBlock == nil ? g[layout.wte] : nil
    if let classifierHead {
      classifierHead.backward(dh: dh, parameters: p, gradients: g, dloss: lossScale)
    } else {
      crossEntropyBackward(
        dh: dh, dwte: headWTE, probs: probs, h: hidden, wte: p[layout.wte],
        targets: targets, dloss: lossScale, rows: n, channels: c, vocabulary: config.vocabSize)
    }
    placement.backwardEnd(self, grads)
    let lowest = 2 * min(max(firstBlock ?? 0, 0), config.nLayers)  // (first sublayer)
    for s in sublayers.indices.reversed() where s >= lowest {
      placement.backward(self, s, grads)
      if s % 2 == 0, s > 0 { onBlockDone?(s / 2) }
    }
    guard firstBlock == nil else { return }
    placement.backwardStart(self, grads)
    profiled(.elementwise) {
      embeddingBackward(
        dwte: g[layout.wte], dwpe: g[layout.wpe], dout: grads.stream, tokens: tokens, batch: b,
        time: t, channels: c)
    }
    onBlockDone?(0)
  }

  /// The residual stream after sublayer `s`: the next sublayer's input, or the final stream.
  func stream(after s: Int) -> UnsafeMutablePointer<Float> {
    s + 1 < sublayers.count ? sublayers[s + 1].input : finalInput
  }
}

/// The placement's forward steps over the model's (N, C) activations.
struct TrainingSteps: PlacementSteps {
  let model: Transformer
  var count: Int { model.batch * model.config.context * model.config.dModel }

  func sublayer(
    _ s: Int, inp: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
    residual: UnsafeMutablePointer<Float>?
  ) {
    model.sublayerForward(s, inp: inp, y: y, residual: residual)
  }

  func norm(_ s: Int, out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    model.normForward(model.sublayers[s].norm.layer, out: out, inp: inp)
  }

  func finalNorm(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    if let norm = model.finalNorm { model.normForward(norm.layer, out: out, inp: inp) }
  }
}
