import Kernels

/// Fast-weight programmer with the sum update rule, per head, φ(x) = (elu(x) + 1) / Σ(elu(x) + 1)
/// (the delta rule's feature map and normalization, so the two kinds differ in the update only):
///
/// ```
/// W_t = W_{t−1} + v_t φ(k_t)ᵀ,   W_0 = 0,   y_t = W_t φ(q_t)
/// ```
/// No tensors of its own. Trains chunkwise (`chunkedLinearAttentionForward` with
/// `.fastWeightSum`, chunks of `model.chunk` positions): O(T) time and memory; the O(T²)
/// parallel form `fastWeightSumAttentionForward` is the tests' reference. Saves `phi`, φ(q)
/// then φ(k) (N, 2C), and `inv_sums`, 1/Σ(elu(q)+1) then 1/Σ(elu(k)+1) per head (N, 2H).
/// Generation runs the recurrence on W per head, H·hs² floats: constant cost per token.
///
/// ### References
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021, section 4.1.
struct FastWeightSumAttentionMixer: AttentionMixer {
  static func savedShapes(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
    -> [NamedShape]
  { [NamedShape("phi", [b * t, 2 * c]), NamedShape("inv_sums", [b * t, 2 * nh])] }

  static func scratchCount(
    batch b: Int, time t: Int, channels c: Int, heads nh: Int, chunk: Int
  ) -> Int {
    chunkedLinearAttentionScratchCount(time: t, headSize: c / nh, chunk: chunk)
  }

  static func stateCount(context t: Int, channels c: Int, heads nh: Int) -> Int {
    fastWeightSumStateCount(channels: c, heads: nh)
  }

  static func rowScratchCount(context t: Int, channels c: Int, heads nh: Int) -> Int { 0 }

  let (batch, time, channels, heads, chunk): (Int, Int, Int, Int, Int)
  let phi: UnsafeMutablePointer<Float>  // (N, 2C)
  let invSums: UnsafeMutablePointer<Float>  // (N, 2H)
  let scratch: UnsafeMutablePointer<Float>

  init(_ b: AttentionBinding) {
    (batch, time, channels, heads, chunk) = (b.batch, b.time, b.channels, b.heads, b.chunk)
    (phi, invSums) = (b.saved("phi"), b.saved("inv_sums"))
    scratch = b.scratch
  }

  func forward(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>
  ) {
    chunkedLinearAttentionForward(
      out: out, phi: phi, scalars: invSums, qkv: qkv, scratch: scratch, batch: batch,
      time: time, channels: channels, heads: heads, chunk: chunk, form: .fastWeightSum)
  }

  func backward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>
  ) {
    dqkv.update(repeating: 0, count: batch * time * 3 * channels)
    chunkedLinearAttentionBackward(
      dqkv: dqkv, dout: dout, out: out, phi: phi, scalars: invSums, qkv: qkv, scratch: scratch,
      batch: batch, time: time, channels: channels, heads: heads, chunk: chunk,
      form: .fastWeightSum)
  }

  func step(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, position: Int
  ) {
    fastWeightSumAttentionStep(out: out, state: state, qkv: qkv, channels: channels, heads: heads)
  }
}
