import CBLAS

// Shapes: B = sequences, T = time, C = channels, H = heads, hs = C / H; qkv (B, T, 3C) laid out
// as for softmax attention (see SoftmaxAttention.swift).

/// The ε in the denominator of linear attention, as DESIGN.md section 3.
public let linearAttentionEpsilon: Float = 1e-6

/// The feature map of linear attention, `φ(x) = elu(x) + 1` (x + 1 for x > 0, eˣ otherwise).
@inline(__always)
public func eluPlusOne(_ x: Float) -> Float { x > 0 ? x + 1 : fastExp(x) }

/// Causal linear attention in parallel form, per sequence and head:
///
/// ```
/// A = φ(Q)·φ(K)ᵀ, with A[t, s] = 0 for s > t          (T, T)
/// y_t = Σ_s A[t, s] v_s / (Σ_s A[t, s] + 1e-6)
/// ```
/// which equals the recurrence `S_t = S_{t−1} + φ(k_t) v_tᵀ`, `z_t = z_{t−1} + φ(k_t)`,
/// `y_t = φ(q_t)ᵀ S_t / (φ(q_t)ᵀ z_t + 1e-6)` (`linearAttentionStep`).
/// Saves φ(q), φ(k) in `phi` (B, T, 2C) and A in `att` (B, H, T, T) for the backward.
///
/// ### References
/// A. Katharopoulos, A. Vyas, N. Pappas, F. Fleuret, "Transformers are RNNs: Fast
/// Autoregressive Transformers with Linear Attention", ICML 2020.
public func linearAttentionForward(
  out: UnsafeMutablePointer<Float>, phi: UnsafeMutablePointer<Float>,
  att: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>, batch b: Int, time t: Int,
  channels c: Int, heads nh: Int
) {
  let hs = c / nh
  for bt in 0..<(b * t) {
    for i in 0..<(2 * c) { phi[bt * 2 * c + i] = eluPlusOne(qkv[bt * 3 * c + i]) }
  }
  for bi in 0..<b {
    for h in 0..<nh {
      let phiQ = phi + bi * t * 2 * c + h * hs
      let phiK = phiQ + c
      let v = qkv + bi * t * 3 * c + 2 * c + h * hs
      let a = att + (bi * nh + h) * t * t
      let y = out + bi * t * c + h * hs
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        1, phiQ, Int32(2 * c), phiK, Int32(2 * c), 0, a, Int32(t))
      for row in 0..<t { (a + row * t + row + 1).update(repeating: 0, count: t - row - 1) }
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, a, Int32(t), v, Int32(3 * c), 0, y, Int32(c))
      for row in 0..<t {
        let inv = 1 / (vectorSum(a + row * t, row + 1) + linearAttentionEpsilon)
        for j in 0..<hs { y[row * c + j] *= inv }
      }
    }
  }
}

/// Floats of scratch `linearAttentionBackward` needs: a (T, T) and a (T, hs) matrix and a (T)
/// vector.
public func linearAttentionScratchCount(time t: Int, headSize hs: Int) -> Int {
  t * t + t * hs + t
}

/// Backward of `linearAttentionForward`, adding into `dqkv` (B, T, 3C). `out` is the forward's
/// output. With `den_t = Σ_s A[t, s] + ε`:
///
/// ```
/// dnum_t = dy_t / den_t,   dden_t = −(dy_t · y_t) / den_t
/// dA = dnum·Vᵀ + dden·1ᵀ  (lower triangle),   dV += Aᵀ·dnum
/// dφ(Q) = dA·φ(K),   dφ(K) = dAᵀ·φ(Q),   dx = dφ · (x > 0 ? 1 : φ(x))
/// ```
public func linearAttentionBackward(
  dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, out: UnsafePointer<Float>,
  phi: UnsafePointer<Float>, att: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
  scratch: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, channels c: Int,
  heads nh: Int
) {
  let hs = c / nh
  let da = scratch
  let dnum = scratch + t * t
  let dden = dnum + t * hs
  for bi in 0..<b {
    for h in 0..<nh {
      let phiQ = phi + bi * t * 2 * c + h * hs
      let phiK = phiQ + c
      let offset = bi * t * 3 * c + h * hs
      let v = qkv + offset + 2 * c
      let dv = dqkv + offset + 2 * c
      let a = att + (bi * nh + h) * t * t
      let y = out + bi * t * c + h * hs
      let dy = dout + bi * t * c + h * hs
      for row in 0..<t {
        let inv = 1 / (vectorSum(a + row * t, row + 1) + linearAttentionEpsilon)
        for j in 0..<hs { dnum[row * hs + j] = dy[row * c + j] * inv }
        dden[row] = -vectorDot(dy + row * c, y + row * c, hs) * inv
      }
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        1, dnum, Int32(hs), v, Int32(3 * c), 0, da, Int32(t))
      for row in 0..<t {
        let r = da + row * t
        for j in 0...row { r[j] += dden[row] }
        (r + row + 1).update(repeating: 0, count: t - row - 1)
      }
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, a, Int32(t), dnum, Int32(hs), 1, dv, Int32(3 * c))
      // dφ(Q) into dnum, then through φ' into dq.
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, da, Int32(t), phiK, Int32(2 * c), 0, dnum, Int32(hs))
      addThroughEluPlusOne(
        dx: dqkv + offset, dphi: dnum, x: qkv + offset, phi: phiQ,
        time: t, headSize: hs, channels: c)
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, da, Int32(t), phiQ, Int32(2 * c), 0, dnum, Int32(hs))
      addThroughEluPlusOne(
        dx: dqkv + offset + c, dphi: dnum, x: qkv + offset + c, phi: phiK,
        time: t, headSize: hs, channels: c)
    }
  }
}

/// `dx[t, j] += dφ[t, j] · φ'(x[t, j])` for one head, where `φ'(x) = 1` for x > 0 and `eˣ = φ(x)`
/// otherwise. `dx`, `x` have row stride 3C, `phi` 2C, `dphi` hs.
@inline(__always)
func addThroughEluPlusOne(
  dx: UnsafeMutablePointer<Float>, dphi: UnsafePointer<Float>, x: UnsafePointer<Float>,
  phi: UnsafePointer<Float>, time t: Int, headSize hs: Int, channels c: Int
) {
  for row in 0..<t {
    for j in 0..<hs {
      let xv = x[row * 3 * c + j]
      dx[row * 3 * c + j] += dphi[row * hs + j] * (xv > 0 ? 1 : phi[row * 2 * c + j])
    }
  }
}

/// One step of causal linear attention as a recurrence, for generation at constant cost per
/// token. `state` holds, per head, `S` (hs, hs) then `z` (hs): (H, hs·hs + hs), zero at t = 0.
///
/// ```
/// S ← S + φ(k) vᵀ,   z ← z + φ(k),   y = φ(q)ᵀ S / (φ(q)ᵀ z + 1e-6)
/// ```
/// - Parameters:
///   - qkv: (3C), one token's projections.  out: (C).
public func linearAttentionStep(
  out: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  for h in 0..<nh {
    let s = state + h * (hs * hs + hs)
    let z = s + hs * hs
    let q = qkv + h * hs
    let k = q + c
    let v = q + 2 * c
    for i in 0..<hs {
      let phiK = eluPlusOne(k[i])
      z[i] += phiK
      for j in 0..<hs { s[i * hs + j] += phiK * v[j] }
    }
    var den = linearAttentionEpsilon
    for i in 0..<hs { den += eluPlusOne(q[i]) * z[i] }
    let y = out + h * hs
    for j in 0..<hs { y[j] = 0 }
    for i in 0..<hs {
      let phiQ = eluPlusOne(q[i]) / den
      for j in 0..<hs { y[j] += phiQ * s[i * hs + j] }
    }
  }
}

/// Floats of state `linearAttentionStep` carries: (H, hs·hs + hs).
public func linearAttentionStateCount(channels c: Int, heads nh: Int) -> Int {
  let hs = c / nh
  return nh * (hs * hs + hs)
}
