import Kernels

/// Linear attention with φ(x) = elu(x) + 1, per head:
///
/// ```
/// y_t = φ(q_t)ᵀ S_t / (φ(q_t)ᵀ z_t + 1e-6),   S_t = Σ_{s≤t} φ(k_s) v_sᵀ,   z_t = Σ_{s≤t} φ(k_s)
/// ```
/// Saves `att`, A (B, H, T, T), and `phi`, φ(q) then φ(k) (N, 2C). Generation runs the
/// recurrence on (S, z) per head, H·(hs² + hs) floats: constant cost per token.
///
/// ### References
/// A. Katharopoulos, A. Vyas, N. Pappas, F. Fleuret, "Transformers are RNNs: Fast
/// Autoregressive Transformers with Linear Attention", ICML 2020.
struct LinearAttentionMixer: AttentionMixer {
  static func savedShapes(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
    -> [NamedShape]
  { [NamedShape("att", [b, nh, t, t]), NamedShape("phi", [b * t, 2 * c])] }

  static func scratchCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int) -> Int {
    linearAttentionScratchCount(time: t, headSize: c / nh)
  }

  static func stateCount(context t: Int, channels c: Int, heads nh: Int) -> Int {
    linearAttentionStateCount(channels: c, heads: nh)
  }

  static func rowScratchCount(context t: Int, channels c: Int, heads nh: Int) -> Int { 0 }

  let (batch, time, channels, heads): (Int, Int, Int, Int)
  let att: UnsafeMutablePointer<Float>  // (B, H, T, T)
  let phi: UnsafeMutablePointer<Float>  // (N, 2C)
  let scratch: UnsafeMutablePointer<Float>

  init(_ b: AttentionBinding) {
    (batch, time, channels, heads) = (b.batch, b.time, b.channels, b.heads)
    (att, phi) = (b.saved("att"), b.saved("phi"))
    scratch = b.scratch
  }

  func forward(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>
  ) {
    linearAttentionForward(
      out: out, phi: phi, att: att, qkv: qkv, batch: batch, time: time, channels: channels,
      heads: heads)
  }

  func backward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>
  ) {
    dqkv.update(repeating: 0, count: batch * time * 3 * channels)
    linearAttentionBackward(
      dqkv: dqkv, dout: dout, out: out, phi: phi, att: att, qkv: qkv, scratch: scratch,
      batch: batch, time: time, channels: channels, heads: heads)
  }

  func step(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, position: Int
  ) {
    linearAttentionStep(out: out, state: state, qkv: qkv, channels: channels, heads: heads)
  }
}
