import Kernels

/// Linear attention with φ(x) = elu(x) + 1, per head:
///
/// ```
/// y_t = φ(q_t)ᵀ S_t / (φ(q_t)ᵀ z_t + 1e-6),   S_t = Σ_{s≤t} φ(k_s) v_sᵀ,   z_t = Σ_{s≤t} φ(k_s)
/// ```
/// Trains chunkwise (`chunkedLinearAttentionForward`, chunks of `model.chunk` positions): O(T)
/// time and memory. Saves `phi`, φ(q) then φ(k) (N, 2C), and `den`, the denominators (N, H).
/// Generation runs the recurrence on (S, z) per head, H·(hs² + hs) floats: constant cost per
/// token.
///
/// ### References
/// A. Katharopoulos, A. Vyas, N. Pappas, F. Fleuret, "Transformers are RNNs: Fast
/// Autoregressive Transformers with Linear Attention", ICML 2020.
struct LinearAttentionMixer: AttentionMixer {
  static func savedShapes(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
    -> [NamedShape]
  { [NamedShape("phi", [b * t, 2 * c]), NamedShape("den", [b * t, nh])] }

  static func scratchCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int, chunk: Int)
    -> Int
  {
    chunkedLinearAttentionScratchCount(time: t, headSize: c / nh, chunk: chunk)
  }

  static func stateCount(context t: Int, channels c: Int, heads nh: Int) -> Int {
    linearAttentionStateCount(channels: c, heads: nh)
  }

  static func rowScratchCount(context t: Int, channels c: Int, heads nh: Int) -> Int { 0 }

  let (batch, time, channels, heads, chunk): (Int, Int, Int, Int, Int)
  let phi: UnsafeMutablePointer<Float>  // (N, 2C)
  let den: UnsafeMutablePointer<Float>  // (N, H)
  let scratch: UnsafeMutablePointer<Float>

  init(_ b: AttentionBinding) {
    (batch, time, channels, heads, chunk) = (b.batch, b.time, b.channels, b.heads, b.chunk)
    (phi, den) = (b.saved("phi"), b.saved("den"))
    scratch = b.scratch
  }

  func forward(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>
  ) {
    chunkedLinearAttentionForward(
      out: out, phi: phi, scalars: den, qkv: qkv, scratch: scratch, batch: batch, time: time,
      channels: channels, heads: heads, chunk: chunk, form: .linear)
  }

  func backward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>
  ) {
    dqkv.update(repeating: 0, count: batch * time * 3 * channels)
    chunkedLinearAttentionBackward(
      dqkv: dqkv, dout: dout, out: out, phi: phi, scalars: den, qkv: qkv, scratch: scratch,
      batch: batch, time: time, channels: channels, heads: heads, chunk: chunk, form: .linear)
  }

  func step(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, position: Int
  ) {
    linearAttentionStep(out: out, state: state, qkv: qkv, channels: channels, heads: heads)
  }
}
