import Kernels

/// Causal scaled dot-product attention per head (hs = C/H):
///
/// ```
/// P = softmax(Q Kᵀ / √hs, causal),   Y = P V
/// ```
/// Saves `att`, P (B, H, T, T). Generation keeps a key/value cache, keys then values,
/// (T_max, C) each, and reads all of it for every token: O(position · C) per token.
///
/// ### References
/// A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
struct SoftmaxAttentionMixer: AttentionMixer {
  static func savedShapes(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
    -> [NamedShape]
  { [NamedShape("att", [b, nh, t, t])] }

  static func scratchCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int, chunk: Int)
    -> Int
  {
    softmaxAttentionScratchCount(time: t)
  }

  static func stateCount(context t: Int, channels c: Int, heads nh: Int) -> Int { 2 * t * c }

  /// The scores of one token against the cache, (T_max).
  static func rowScratchCount(context t: Int, channels c: Int, heads nh: Int) -> Int { t }

  let (batch, time, channels, heads): (Int, Int, Int, Int)
  let att: UnsafeMutablePointer<Float>  // (B, H, T, T)
  let scratch: UnsafeMutablePointer<Float>
  let cacheRows: Int  // T_max of the generation cache

  init(_ b: AttentionBinding) {
    (batch, time, channels, heads) = (b.batch, b.time, b.channels, b.heads)
    att = b.saved("att")
    scratch = b.scratch
    cacheRows = b.time
  }

  func forward(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>
  ) {
    softmaxAttentionForward(
      out: out, att: att, qkv: qkv, batch: batch, time: time, channels: channels, heads: heads)
  }

  func backward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>
  ) {
    softmaxAttentionBackward(
      dqkv: dqkv, dout: dout, att: att, qkv: qkv, scratch: scratch, batch: batch, time: time,
      channels: channels, heads: heads, accumulate: false)
  }

  func step(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, position: Int
  ) {
    softmaxAttentionStep(
      out: out, keys: state, values: state + cacheRows * channels, scores: scratch, qkv: qkv,
      position: position, channels: channels, heads: heads)
  }
}
