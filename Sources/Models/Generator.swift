import Kernels

/// Runs a trained model one token at a time, for sampling: each attention layer keeps a state
/// instead of re-reading the sequence, so the linear kinds cost the same for every token
/// (their recurrent form, DESIGN.md section 3) and softmax attention reads a key/value cache.
/// Norms run in evaluation mode (BatchNorm on running statistics).
///
/// Positions are limited to the model's context; `step` refuses to go past it, and a caller
/// continues by `reset()` and feeding the last part of its text again.
public final class Generator {
  public let model: Transformer
  /// Tokens fed since the last `reset()`: the position of the next one.
  public private(set) var position = 0
  let rows: FlatTensors
  /// Typed views of `rows`, built once.
  let row: GeneratorRows
  let states: FlatTensors
  /// The one-row evaluation scratch every norm borrows.
  let normScratch: UnsafeMutablePointer<Float>
  /// Each block's attention state (KV cache or recurrent state), and the step's scratch.
  let blockStates: [UnsafeMutablePointer<Float>]
  let attentionScratch: UnsafeMutablePointer<Float>

  public init(model: Transformer) {
    self.model = model
    let m = model.config
    let (c, t, nh, v) = (m.dModel, m.context, m.nHeads, m.vocabSize)
    var row = TensorLayout()
    for name in ["x", "delta", "normed", "y", "sum", "sublayer", "attention", "final"] {
      row.add(name, [c])
    }
    row.add("qkv", [3 * c])
    row.add("hidden", [4 * c])
    row.add("norm", [m.norm.layer.rowScratchCount(channels: c)])
    row.add(
      "attention_scratch", [m.attention.mixer.rowScratchCount(context: t, channels: c, heads: nh)])
    row.add("probabilities", [v])
    let rowTensors = FlatTensors(layout: row)
    rows = rowTensors
    self.row = GeneratorRows(rowTensors)
    normScratch = rowTensors.view("norm")
    attentionScratch = rowTensors.view("attention_scratch")
    var state = TensorLayout()
    let stateCount = m.attention.mixer.stateCount(context: t, channels: c, heads: nh)
    for i in 0..<m.nLayers { state.add("h.\(i).state", [stateCount]) }
    let stateTensors = FlatTensors(layout: state)
    states = stateTensors
    blockStates = (0..<m.nLayers).map { stateTensors.view("h.\($0).state") }
  }

  /// Forgets the sequence: the next token goes to position 0.
  public func reset() {
    position = 0
    states.zero()
  }

  /// Feeds `token` at the next position and returns the next-token distribution (V), valid
  /// until the next call.
  public func step(token: Int32) -> UnsafePointer<Float> {
    let m = model.config
    precondition(position < m.context, "Generator.step past the context; reset() first")
    let (c, p) = (m.dModel, model.parameters)
    let x = row.x
    let (wte, wpe) = (p[model.layout.wte] + Int(token) * c, p[model.layout.wpe] + position * c)
    for i in 0..<c { x[i] = wte[i] + wpe[i] }
    let delta = row.delta
    delta.update(from: x, count: c)
    let (normed, y, sum) = (row.normed, row.y, row.sum)
    // The model's placement order on one row: the stream x is updated in place.
    let (order, steps) = (model.placement, GeneratorSteps(generator: self, count: c))
    let streamDelta = order.hasDeltaStream ? delta : nil
    for s in 0..<(2 * m.nLayers) {
      order.forward(
        s,
        StreamSlots(
          input: x, normInput: sum, normOut: order.savesNormOutput ? normed : x, next: x, y: y,
          delta: streamDelta),
        steps)
    }
    let hidden = row.final
    order.forwardEnd(
      EndSlots(
        input: x, delta: streamDelta, normOut: order.hasDeltaStream ? normed : hidden,
        hidden: hidden), steps)
    let probabilities = row.probabilities
    linearForward(
      out: probabilities, inp: hidden, weight: p[model.layout.wte], bias: nil, rows: 1,
      inChannels: c, outChannels: m.vocabSize)
    softmaxInPlace(probabilities, count: m.vocabSize)
    position += 1
    return UnsafePointer(probabilities)
  }

  /// One norm application on one row, in evaluation mode (BatchNorm on running statistics).
  func normRow(
    _ norm: any NormLayer, out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>
  ) {
    norm.evalRow(out: out, inp: inp, scratch: normScratch)
  }

  /// Sublayer `s` (attention or MLP of block s/2) on one row.
  func sublayerRow(_ s: Int, inp: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
    let m = model.config
    let (c, i) = (m.dModel, s / 2)
    let (w, p) = (model.layout.blocks[i], model.parameters)
    guard s % 2 == 0 else {
      let hidden = row.hidden
      linearForward(
        out: hidden, inp: inp, weight: p[w.fcWeight], bias: nil, rows: 1, inChannels: c,
        outChannels: 4 * c)
      geluForward(out: hidden, inp: hidden, bias: p[w.fcBias], columns: 4 * c, count: 4 * c)
      linearForward(
        out: y, inp: hidden, weight: p[w.mlpProjWeight], bias: p[w.mlpProjBias], rows: 1,
        inChannels: 4 * c, outChannels: c)
      return
    }
    let (qkv, out) = (row.qkv, row.attention)
    linearForward(
      out: qkv, inp: inp, weight: p[w.qkvWeight], bias: p[w.qkvBias], rows: 1, inChannels: c,
      outChannels: 3 * c)
    model.attention[i].mixer.step(
      out: out, qkv: qkv, inp: inp, state: blockStates[i], scratch: attentionScratch,
      position: position)
    linearForward(
      out: y, inp: out, weight: p[w.attnProjWeight], bias: p[w.attnProjBias], rows: 1,
      inChannels: c, outChannels: c)
  }
}

/// The placement's forward steps on one row, in evaluation mode.
struct GeneratorSteps: PlacementSteps {
  let generator: Generator
  let count: Int  // C

  func sublayer(
    _ s: Int, inp: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
    residual: UnsafeMutablePointer<Float>?
  ) {
    guard let residual else { return generator.sublayerRow(s, inp: inp, y: y) }
    let f = generator.row.sublayer
    generator.sublayerRow(s, inp: inp, y: f)
    residualForward(out: y, a: residual, b: f, count: count)
  }

  func norm(_ s: Int, out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    generator.normRow(generator.model.sublayers[s].norm.layer, out: out, inp: inp)
  }

  func finalNorm(out: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    if let norm = generator.model.finalNorm { generator.normRow(norm.layer, out: out, inp: inp) }
  }
}

/// The generator's one-row buffers, (C) unless noted.
struct GeneratorRows {
  /// The stream x (xa for ResiDual) and ResiDual's xd.
  let x, delta: UnsafeMutablePointer<Float>
  /// A norm's output (pre), a sublayer's output, a norm's input, a sublayer's output before
  /// its residual, the attention heads concatenated, the hidden state h.
  let normed, y, sum, sublayer, attention, final: UnsafeMutablePointer<Float>
  let qkv: UnsafeMutablePointer<Float>  // (3C)
  let hidden: UnsafeMutablePointer<Float>  // (4C) the MLP's
  let probabilities: UnsafeMutablePointer<Float>  // (V)

  init(_ rows: FlatTensors) {
    (x, delta) = (rows.view("x"), rows.view("delta"))
    (normed, y, sum) = (rows.view("normed"), rows.view("y"), rows.view("sum"))
    (sublayer, attention, final) = (
      rows.view("sublayer"), rows.view("attention"), rows.view("final")
    )
    (qkv, hidden) = (rows.view("qkv"), rows.view("hidden"))
    probabilities = rows.view("probabilities")
  }
}
