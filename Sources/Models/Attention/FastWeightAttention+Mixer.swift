import Kernels

/// Fast-weight programmer with the delta rule, per head, φ(x) = (elu(x) + 1) / Σ(elu(x) + 1):
///
/// ```
/// β_t = sigmoid(W_β x_t + b_β)                       (one per head; W_β is (H, C))
/// W_t = W_{t−1} + β_t (v_t − W_{t−1} φ(k_t)) φ(k_t)ᵀ,   W_0 = 0,   y_t = W_t φ(q_t)
/// ```
/// Tensors: `beta.weight` (H, C), `beta.bias` (H). Trains chunkwise
/// (`chunkedFastWeightAttentionForward`, chunks of `model.chunk` positions): O(T) time and
/// memory. Saves `beta_logits` (N, H) and `fast_weight` (`chunkedFastWeightSavedCount`).
/// Generation runs the recurrence on W per head: constant cost per token.
///
/// ### References
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021.
struct FastWeightAttentionMixer: AttentionMixer {
  static func parameterShapes(channels c: Int, heads nh: Int) -> [NamedShape] {
    [NamedShape("beta.weight", [nh, c]), NamedShape("beta.bias", [nh])]
  }

  static func savedShapes(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
    -> [NamedShape]
  {
    [
      NamedShape("beta_logits", [b * t, nh]),
      NamedShape(
        "fast_weight",
        [chunkedFastWeightSavedCount(batch: b, time: t, channels: c, heads: nh)]),
    ]
  }

  /// The kernel's scratch, then ∂loss/∂β-logits (N, H).
  static func scratchCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int, chunk: Int)
    -> Int
  {
    chunkedFastWeightScratchCount(time: t, headSize: c / nh, chunk: chunk) + b * t * nh
  }

  static func stateCount(context t: Int, channels c: Int, heads nh: Int) -> Int {
    fastWeightStateCount(channels: c, heads: nh)
  }

  /// This token's β logits, (H).
  static func rowScratchCount(context t: Int, channels c: Int, heads nh: Int) -> Int { nh }

  let (batch, time, channels, heads, chunk): (Int, Int, Int, Int, Int)
  let weight, bias, dweight, dbias: UnsafeMutablePointer<Float>  // (H, C), (H)
  let betaLogits: UnsafeMutablePointer<Float>  // (N, H)
  let saved: UnsafeMutablePointer<Float>
  let scratch: UnsafeMutablePointer<Float>
  let dbetaLogits: UnsafeMutablePointer<Float>  // (N, H), after the kernel's scratch

  init(_ b: AttentionBinding) {
    (batch, time, channels, heads, chunk) = (b.batch, b.time, b.channels, b.heads, b.chunk)
    (weight, bias) = (b.parameter("beta.weight"), b.parameter("beta.bias"))
    (dweight, dbias) = (b.gradient("beta.weight"), b.gradient("beta.bias"))
    (betaLogits, saved) = (b.saved("beta_logits"), b.saved("fast_weight"))
    scratch = b.scratch
    dbetaLogits =
      b.scratch
      + chunkedFastWeightScratchCount(
        time: b.time, headSize: b.channels / b.heads, chunk: b.chunk)
  }

  func forward(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>
  ) {
    linearForward(
      out: betaLogits, inp: inp, weight: weight, bias: bias, rows: batch * time,
      inChannels: channels, outChannels: heads)
    chunkedFastWeightAttentionForward(
      out: out, saved: saved, qkv: qkv, betaLogits: betaLogits, scratch: scratch, batch: batch,
      time: time, channels: channels, heads: heads, chunk: chunk)
  }

  func backward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>
  ) {
    let n = batch * time
    dqkv.update(repeating: 0, count: n * 3 * channels)
    dbetaLogits.update(repeating: 0, count: n * heads)
    chunkedFastWeightAttentionBackward(
      dqkv: dqkv, dbetaLogits: dbetaLogits, dout: dout, saved: saved, qkv: qkv,
      betaLogits: betaLogits, scratch: scratch, batch: batch, time: time, channels: channels,
      heads: heads, chunk: chunk)
  }

  func backwardInput(dinp: UnsafeMutablePointer<Float>, inp: UnsafeMutablePointer<Float>) {
    linearBackward(
      dinp: dinp, dweight: dweight, dbias: dbias, dout: dbetaLogits, inp: inp, weight: weight,
      rows: batch * time, inChannels: channels, outChannels: heads)
  }

  func step(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, position: Int
  ) {
    linearForward(
      out: scratch, inp: inp, weight: weight, bias: bias, rows: 1, inChannels: channels,
      outChannels: heads)
    fastWeightAttentionStep(
      out: out, state: state, qkv: qkv, betaLogits: scratch, channels: channels, heads: heads)
  }
}
