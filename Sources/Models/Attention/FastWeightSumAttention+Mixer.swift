import Kernels

/// Fast-weight programmer with the sum update rule, per head, φ(x) = (elu(x) + 1) / Σ(elu(x) + 1)
/// (the delta rule's feature map and normalization, so the two kinds differ in the update only):
///
/// ```
/// W_t = W_{t−1} + v_t φ(k_t)ᵀ,   W_0 = 0,   y_t = W_t φ(q_t)
/// ```
/// No tensors of its own. Saves `fast_weight_sum` (`fastWeightSumSavedCount`): φ(q), φ(k),
/// their normalizers and the masked (B, H, T, T) scores. Generation runs the recurrence on W
/// per head, H·hs² floats: constant cost per token.
///
/// ### References
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021, section 4.1.
struct FastWeightSumAttentionMixer: AttentionMixer {
  static func savedShapes(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
    -> [NamedShape]
  {
    [
      NamedShape(
        "fast_weight_sum", [fastWeightSumSavedCount(batch: b, time: t, channels: c, heads: nh)])
    ]
  }

  static func scratchCount(
    batch b: Int, time t: Int, channels c: Int, heads nh: Int, chunk: Int
  ) -> Int {
    fastWeightSumScratchCount(time: t, headSize: c / nh)
  }

  static func stateCount(context t: Int, channels c: Int, heads nh: Int) -> Int {
    fastWeightSumStateCount(channels: c, heads: nh)
  }

  static func rowScratchCount(context t: Int, channels c: Int, heads nh: Int) -> Int { 0 }

  let (batch, time, channels, heads): (Int, Int, Int, Int)
  let saved: UnsafeMutablePointer<Float>
  let scratch: UnsafeMutablePointer<Float>

  init(_ b: AttentionBinding) {
    (batch, time, channels, heads) = (b.batch, b.time, b.channels, b.heads)
    saved = b.saved("fast_weight_sum")
    scratch = b.scratch
  }

  func forward(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>
  ) {
    fastWeightSumAttentionForward(
      out: out, saved: saved, qkv: qkv, batch: batch, time: time, channels: channels,
      heads: heads)
  }

  func backward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>
  ) {
    dqkv.update(repeating: 0, count: batch * time * 3 * channels)
    fastWeightSumAttentionBackward(
      dqkv: dqkv, dout: dout, saved: saved, qkv: qkv, scratch: scratch, batch: batch,
      time: time, channels: channels, heads: heads)
  }

  func step(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, position: Int
  ) {
    fastWeightSumAttentionStep(out: out, state: state, qkv: qkv, channels: channels, heads: heads)
  }
}
