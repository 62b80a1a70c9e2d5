import CBLAS

#if canImport(Glibc)
  import Glibc
#endif

// Shapes: B = sequences, T = time, C = channels, H = heads, hs = C / H.
// qkv (B, T, 3C): q at channels [0, C), k at [C, 2C), v at [2C, 3C); head h of each at
// [h·hs, (h+1)·hs). betaLogits (B, T, H). out (B, T, C), head h at [h·hs, (h+1)·hs).
//
// Per sequence and head, with φ(x) = elu(x) + 1 divided by its sum over the head's hs entries,
// β_t = sigmoid(betaLogit_t), W_0 = 0 (hs, hs):
//
//   W_t = W_{t−1} + β_t (v_t − W_{t−1} φ(k_t)) φ(k_t)ᵀ,   y_t = W_t φ(q_t)
//
// Row-major matrices per (b, h): Q = φ(q), K = φ(k), V (T, hs); β (T).

/// Floats of the `saved` buffer `fastWeightAttentionForward` fills for the backward: four
/// tensors back to back, in this order (see `FastWeightSaved`):
///
/// ```
/// phi           (B, T, 2C)    φ(q) then φ(k), normalized, per token
/// betaAndNorms  (B, T, 3H)    per token and head: β, then 1/Σ(elu(q)+1), then 1/Σ(elu(k)+1)
/// u             (B, H, T, hs) the delta-rule writes U
/// att           (B, H, T, T)  S = Q·Kᵀ on and below the diagonal, Aᵀ strictly above it
/// ```
/// In all `B·T·(3C + 3H) + B·H·T²`.
public func fastWeightSavedCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
  -> Int
{
  b * t * (3 * c + 3 * nh) + b * nh * t * t
}

/// Views of the four tensors packed in the `saved` buffer (`fastWeightSavedCount`).
public struct FastWeightSaved {
  public let phi: UnsafeMutablePointer<Float>  // (B, T, 2C)
  public let betaAndNorms: UnsafeMutablePointer<Float>  // (B, T, 3H)
  public let u: UnsafeMutablePointer<Float>  // (B, H, T, hs)
  public let att: UnsafeMutablePointer<Float>  // (B, H, T, T)

  public init(
    _ saved: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, channels c: Int,
    heads nh: Int
  ) {
    phi = saved
    betaAndNorms = phi + b * t * 2 * c
    u = betaAndNorms + b * t * 3 * nh
    att = u + b * t * c
  }
}

/// Delta-rule fast-weight attention in parallel (training) form, per sequence and head:
///
/// ```
/// A = strictly_lower(diag(β)·K·Kᵀ)                  A[t, s] = β_t k_t·k_s for s < t
/// (I + A)·U = diag(β)·V                            unit lower-triangular solve  (T, hs)
/// Y = lower(Q·Kᵀ)·U                                 diagonal included            (T, hs)
/// ```
/// It equals the recurrence: the state is `W_t = Σ_{s≤t} u_s k_sᵀ`, and the write of step t,
/// `u_t = β_t (v_t − W_{t−1} k_t) = β_t v_t − Σ_{s<t} A[t, s] u_s`, is row t of the solve.
///
/// `att` (T, T) per head packs two triangles: `S = Q·Kᵀ` on and below the diagonal (read by
/// `strmm` as a non-unit lower matrix) and `Aᵀ` strictly above it (read by `strsm` as the
/// unit upper matrix `I + Aᵀ`). Needs no scratch.
///
/// - Parameters:
///   - out: (B, T, C), overwritten.
///   - saved: `fastWeightSavedCount(...)` floats, overwritten with what the backward reads.
///   - qkv: (B, T, 3C).   betaLogits: (B, T, H), the pre-sigmoid `x·W_βᵀ + b_β`.
/// - Complexity: per head about 2·T²·hs (Q·Kᵀ) + T²·hs (K·Kᵀ, `ssyrk`) + T²·hs (`strsm`)
///   + T²·hs (`strmm`) FLOPs, so 5·B·T²·C in all.
///
/// ### References
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021.
/// S. Yang, B. Wang, Y. Zhang, Y. Shen, Y. Kim, "Parallelizing Linear Transformers with the
/// Delta Rule over Sequence Length", NeurIPS 2024 (the triangular-solve form).
public func fastWeightAttentionForward(
  out: UnsafeMutablePointer<Float>, saved: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, betaLogits: UnsafePointer<Float>, batch b: Int, time t: Int,
  channels c: Int, heads nh: Int
) {
  let hs = c / nh
  let views = FastWeightSaved(saved, batch: b, time: t, channels: c, heads: nh)
  let (phi, betaAndNorms, u, att) = (views.phi, views.betaAndNorms, views.u, views.att)
  // φ and β per token.
  for bt in 0..<(b * t) {
    let x = qkv + bt * 3 * c
    let p = phi + bt * 2 * c
    let scalars = betaAndNorms + bt * 3 * nh
    for h in 0..<nh {
      scalars[h] = 1 / (1 + fastExp(-betaLogits[bt * nh + h]))
      for part in 0..<2 {
        let o = part * c + h * hs
        scalars[(1 + part) * nh + h] = normalizedEluPlusOne(p + o, x + o, hs)
      }
    }
  }
  for bi in 0..<b {
    for h in 0..<nh {
      let phiQ = phi + bi * t * 2 * c + h * hs  // (T, hs), row stride 2C
      let phiK = phiQ + c
      let v = qkv + bi * t * 3 * c + 2 * c + h * hs  // (T, hs), row stride 3C
      let beta = betaAndNorms + bi * t * 3 * nh + h  // (T), stride 3H
      let a = att + (bi * nh + h) * t * t  // (T, T)
      let uh = u + (bi * nh + h) * t * hs  // (T, hs)
      let y = out + bi * t * c + h * hs  // (T, hs), row stride C
      // S = Q·Kᵀ everywhere, then K·Kᵀ over the upper triangle and the diagonal.
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        1, phiQ, Int32(2 * c), phiK, Int32(2 * c), 0, a, Int32(t))
      cblas_ssyrk(
        CblasRowMajor, CblasUpper, CblasNoTrans, Int32(t), Int32(hs),
        1, phiK, Int32(2 * c), 0, a, Int32(t))
      // Put S back on the diagonal; a[s, j] = β_j k_j·k_s = A[j, s] above it.
      for row in 0..<t {
        a[row * t + row] = vectorDot(phiQ + row * 2 * c, phiK + row * 2 * c, hs)
        for col in (row + 1)..<t { a[row * t + col] *= beta[col * 3 * nh] }
      }
      // U = (I + A)⁻¹ diag(β) V, with I + A = (I + Aᵀ)ᵀ read from the upper triangle.
      for row in 0..<t {
        let bt = beta[row * 3 * nh]
        for j in 0..<hs { uh[row * hs + j] = bt * v[row * 3 * c + j] }
      }
      cblas_strsm(
        CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasUnit, Int32(t), Int32(hs),
        1, a, Int32(t), uh, Int32(hs))
      // Y = lower(S)·U, in place in `out`.
      for row in 0..<t { (y + row * c).update(from: uh + row * hs, count: hs) }
      cblas_strmm(
        CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(t), Int32(hs),
        1, a, Int32(t), y, Int32(c))
    }
  }
}

/// Floats of scratch `fastWeightAttentionBackward` needs: one (T, T) matrix, three (T, hs)
/// matrices and one (T) vector, reused for every sequence and head.
public func fastWeightScratchCount(time t: Int, headSize hs: Int) -> Int {
  t * t + 3 * t * hs + t
}

/// Backward of `fastWeightAttentionForward`; adds into `dqkv` (B, T, 3C) and `dbetaLogits`
/// (B, T, H) given `dout` (B, T, C), the forward's inputs `qkv` and `betaLogits` and its
/// `saved` buffer. Per sequence and head, with L = lower(S) and the upper triangle of `att`
/// read as `I + Aᵀ`:
///
/// ```
/// dU = Lᵀ·dY                         dS = lower(dY·Uᵀ)       dQ = dS·K    dK = dSᵀ·Q
/// G  = (I + A)⁻ᵀ·dU                  dV = diag(β)·G          dβ_t = v_t·G_t
/// dA = −strictly_lower(G·Uᵀ)         P = diag(β)·dA
/// dK += P·K + Pᵀ·K                   dβ_t += k_t·(dA·K)_t
/// dlogit = dβ·σ'(logit) = dβ·β(1 − β)
/// ```
/// and through `φ = p / Σp`, `p = elu(x) + 1`: `dp = (dφ − ⟨dφ, φ⟩) / Σp`, then
/// `dx = dp` for x > 0 and `dx = dp·p = (dφ − ⟨dφ, φ⟩)·φ` otherwise.
///
/// - Parameters:
///   - scratch: `fastWeightScratchCount(time:headSize:)` floats.
/// - Complexity: per head six `sgemm` of 2·T²·hs FLOPs (dY·Uᵀ, dS·K, dSᵀ·Q, G·Uᵀ, dA·K,
///   Pᵀ·K) plus one `strmm` and one `strsm` of T²·hs: about 14·B·T²·C FLOPs in all.
public func fastWeightAttentionBackward(
  dqkv: UnsafeMutablePointer<Float>, dbetaLogits: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, saved: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
  betaLogits: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, batch b: Int,
  time t: Int, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  let views = FastWeightSaved(
    UnsafeMutablePointer(mutating: saved), batch: b, time: t, channels: c, heads: nh)
  let (phi, betaAndNorms, u, att) = (views.phi, views.betaAndNorms, views.u, views.att)
  let tt = scratch  // (T, T): dS, then dA
  let du = tt + t * t  // (T, hs): dU, then G, then dA·K
  let dphiQ = du + t * hs  // (T, hs)
  let dphiK = dphiQ + t * hs  // (T, hs)
  let dbeta = dphiK + t * hs  // (T)
  for bi in 0..<b {
    for h in 0..<nh {
      let phiQ = phi + bi * t * 2 * c + h * hs  // row stride 2C
      let phiK = phiQ + c
      let offset = bi * t * 3 * c + h * hs
      let v = qkv + offset + 2 * c  // row stride 3C
      let dv = dqkv + offset + 2 * c
      let scalars = betaAndNorms + bi * t * 3 * nh + h  // row stride 3H
      let a = att + (bi * nh + h) * t * t
      let uh = u + (bi * nh + h) * t * hs
      let dy = dout + bi * t * c + h * hs  // row stride C
      // dU = Lᵀ·dY.
      for row in 0..<t { (du + row * hs).update(from: dy + row * c, count: hs) }
      cblas_strmm(
        CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, Int32(t), Int32(hs),
        1, a, Int32(t), du, Int32(hs))
      // dS = lower(dY·Uᵀ); dφ(Q) = dS·K, dφ(K) = dSᵀ·Q.
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        1, dy, Int32(c), uh, Int32(hs), 0, tt, Int32(t))
      for row in 0..<t { (tt + row * t + row + 1).update(repeating: 0, count: t - row - 1) }
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, tt, Int32(t), phiK, Int32(2 * c), 0, dphiQ, Int32(hs))
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, tt, Int32(t), phiQ, Int32(2 * c), 0, dphiK, Int32(hs))
      // G = (I + A)⁻ᵀ·dU = (I + Aᵀ)⁻¹·dU; dV += diag(β)·G; dβ_t = v_t·G_t.
      cblas_strsm(
        CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasUnit, Int32(t), Int32(hs),
        1, a, Int32(t), du, Int32(hs))
      for row in 0..<t {
        let beta = scalars[row * 3 * nh]
        dbeta[row] = vectorDot(v + row * 3 * c, du + row * hs, hs)
        for j in 0..<hs { dv[row * 3 * c + j] += beta * du[row * hs + j] }
      }
      // dA = −strictly_lower(G·Uᵀ).
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        -1, du, Int32(hs), uh, Int32(hs), 0, tt, Int32(t))
      for row in 0..<t { (tt + row * t + row).update(repeating: 0, count: t - row) }
      // dA·K into du: dβ_t += k_t·(dA·K)_t, dK += diag(β)·dA·K.
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, tt, Int32(t), phiK, Int32(2 * c), 0, du, Int32(hs))
      for row in 0..<t {
        let beta = scalars[row * 3 * nh]
        dbeta[row] += vectorDot(phiK + row * 2 * c, du + row * hs, hs)
        for j in 0..<hs { dphiK[row * hs + j] += beta * du[row * hs + j] }
        // P = diag(β)·dA, row by row.
        for col in 0..<row { tt[row * t + col] *= beta }
      }
      // dK += Pᵀ·K.
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, tt, Int32(t), phiK, Int32(2 * c), 1, dphiK, Int32(hs))
      // Through the sigmoid, and through the normalization and elu + 1.
      let logits = betaLogits + bi * t * nh + h
      let dlogits = dbetaLogits + bi * t * nh + h
      for row in 0..<t {
        let beta = 1 / (1 + fastExp(-logits[row * nh]))
        dlogits[row * nh] += dbeta[row] * beta * (1 - beta)
      }
      addThroughNormalizedEluPlusOne(
        dx: dqkv + offset, dphi: dphiQ, x: qkv + offset, phi: phiQ, invSum: scalars + nh,
        invSumStride: 3 * nh, time: t, channels: c, heads: nh)
      addThroughNormalizedEluPlusOne(
        dx: dqkv + offset + c, dphi: dphiK, x: qkv + offset + c, phi: phiK,
        invSum: scalars + 2 * nh, invSumStride: 3 * nh, time: t, channels: c, heads: nh)
    }
  }
}

/// `φ = p / Σp` with `p = elu(x) + 1` over n contiguous entries, eight lanes at a time through
/// `expVector` (the polynomial of `eluPlusOne`). Returns `1 / Σp`.
@inline(__always)
func normalizedEluPlusOne(
  _ phi: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int
) -> Float {
  var acc = FloatVector()
  var i = 0
  while i + vectorWidth <= n {
    let v = loadVector(x + i)
    var p = expVector(v)
    p.replace(with: v + 1, where: v .> 0)
    storeVector(p, phi + i)
    acc += p
    i += vectorWidth
  }
  var sum = acc.sum()
  while i < n {
    phi[i] = eluPlusOne(x[i])
    sum += phi[i]
    i += 1
  }
  let inv = 1 / sum
  for j in 0..<n { phi[j] *= inv }
  return inv
}

/// `dx += ∂φ/∂x · dφ` for one head, where `φ = p / Σp`, `p = elu(x) + 1`:
/// `dx_j += (dφ_j − ⟨dφ, φ⟩)·(x_j > 0 ? 1/Σp : φ_j)`. Row strides: `dx`, `x` 3C, `phi` 2C,
/// `dphi` hs, `invSum` `invSumStride` (3H beside β, 2H for the sum rule).
@inline(__always)
func addThroughNormalizedEluPlusOne(
  dx: UnsafeMutablePointer<Float>, dphi: UnsafePointer<Float>, x: UnsafePointer<Float>,
  phi: UnsafePointer<Float>, invSum: UnsafePointer<Float>, invSumStride: Int, time t: Int,
  channels c: Int, heads nh: Int
) {
  let hs = c / nh
  for row in 0..<t {
    let g = dphi + row * hs
    let p = phi + row * 2 * c
    let xr = x + row * 3 * c
    let dxr = dx + row * 3 * c
    let inv = invSum[row * invSumStride]
    let dot = vectorDot(g, p, hs)
    for j in 0..<hs { dxr[j] += (g[j] - dot) * (xr[j] > 0 ? inv : p[j]) }
  }
}

/// Floats of state `fastWeightAttentionStep` carries for one sequence: W (H, hs, hs).
public func fastWeightStateCount(channels c: Int, heads nh: Int) -> Int {
  let hs = c / nh
  return nh * hs * hs
}

/// One step of delta-rule fast-weight attention as a recurrence, for generation at constant
/// cost per token. `state` holds W (H, hs, hs) row-major (`y = W·φ(q)`), zero at t = 0.
///
/// ```
/// β = sigmoid(betaLogit),   W ← W + β (v − W·φ(k)) φ(k)ᵀ,   y = W·φ(q)
/// ```
/// - Parameters:
///   - out: (C), overwritten.   qkv: (3C), one token's projections.   betaLogits: (H).
/// - Complexity: 6·C·hs FLOPs; 2·hs floats of stack space per head.
public func fastWeightAttentionStep(
  out: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, betaLogits: UnsafePointer<Float>, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * hs) { buffer in
    guard let phiQ = buffer.baseAddress else { return }
    let phiK = phiQ + hs
    for h in 0..<nh {
      let w = state + h * hs * hs
      let beta = 1 / (1 + fastExp(-betaLogits[h]))
      _ = normalizedEluPlusOne(phiQ, qkv + h * hs, hs)
      _ = normalizedEluPlusOne(phiK, qkv + c + h * hs, hs)
      let v = qkv + 2 * c + h * hs
      let y = out + h * hs
      for i in 0..<hs {
        let row = w + i * hs
        let write = beta * (v[i] - vectorDot(row, phiK, hs))
        for j in 0..<hs { row[j] += write * phiK[j] }
        y[i] = vectorDot(row, phiQ, hs)
      }
    }
  }
}

/// The delta rule as the step-by-step recurrence in Double, the slow obvious reference for
/// `fastWeightAttentionForward` and `fastWeightAttentionStep`:
///
/// ```
/// φ(x) = (elu(x) + 1) / Σ_j (elu(x_j) + 1),   β_t = 1 / (1 + e^(−betaLogit_t))
/// W_0 = 0,   W_t = W_{t−1} + β_t (v_t − W_{t−1} φ(k_t)) φ(k_t)ᵀ,   y_t = W_t φ(q_t)
/// ```
/// - Parameters:
///   - qkv: (B, T, 3C).   betaLogits: (B, T, H).
/// - Returns: out (B, T, C).
public func fastWeightAttentionReference(
  qkv: [Double], betaLogits: [Double], batch b: Int, time t: Int, channels c: Int, heads nh: Int
) -> [Double] {
  let hs = c / nh
  var out = [Double](repeating: 0, count: b * t * c)
  func phi(_ x: ArraySlice<Double>) -> [Double] {
    let p = x.map { $0 > 0 ? $0 + 1 : exp($0) }
    let sum = p.reduce(0, +)
    return p.map { $0 / sum }
  }
  for bi in 0..<b {
    for h in 0..<nh {
      var w = [[Double]](repeating: [Double](repeating: 0, count: hs), count: hs)
      for ti in 0..<t {
        let base = (bi * t + ti) * 3 * c + h * hs
        let q = phi(qkv[base..<(base + hs)])
        let k = phi(qkv[(base + c)..<(base + c + hs)])
        let v = Array(qkv[(base + 2 * c)..<(base + 2 * c + hs)])
        let beta = 1 / (1 + exp(-betaLogits[(bi * t + ti) * nh + h]))
        var wk = [Double](repeating: 0, count: hs)
        for i in 0..<hs {
          for j in 0..<hs { wk[i] += w[i][j] * k[j] }
        }
        for i in 0..<hs {
          for j in 0..<hs { w[i][j] += beta * (v[i] - wk[i]) * k[j] }
        }
        for i in 0..<hs {
          var y: Double = 0
          for j in 0..<hs { y += w[i][j] * q[j] }
          out[(bi * t + ti) * c + h * hs + i] = y
        }
      }
    }
  }
  return out
}
