import CBLAS

// Shapes: B = sequences, T = time, C = channels, H = heads, hs = C / H, c = chunk (the last
// chunk of a sequence may be shorter: n = min(c, T − start) rows). qkv (B, T, 3C), betaLogits
// (B, T, H) and out (B, T, C) as in FastWeightAttention.swift. Per sequence and head the state
// W (hs, hs) maps φ(q) to y: y_t = W_t φ(q_t).

/// Floats of the `saved` buffer `chunkedFastWeightAttentionForward` fills: the first three
/// tensors of `fastWeightSavedCount`, without its (B, H, T, T) matrix:
///
/// ```
/// phi           (B, T, 2C)    φ(q) then φ(k), normalized, per token
/// betaAndNorms  (B, T, 3H)    per token and head: β, then 1/Σ(elu(q)+1), then 1/Σ(elu(k)+1)
/// u             (B, H, T, hs) the delta-rule writes u_t = β_t (v_t − W_{t−1} φ(k_t))
/// ```
public func chunkedFastWeightSavedCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
  -> Int
{
  b * t * (3 * c + 3 * nh)
}

/// Floats of scratch the chunked delta rule needs, reused for every sequence and head: two
/// (c, c) matrices, the state at every chunk's start ⌈T/c⌉·(hs, hs), one more (hs, hs), five
/// (c, hs) matrices and a (c) vector.
public func chunkedFastWeightScratchCount(time t: Int, headSize hs: Int, chunk: Int) -> Int {
  let c = effectiveChunk(chunk, time: t)
  let chunks = (t + c - 1) / c
  return 2 * c * c + (chunks + 1) * hs * hs + 5 * c * hs + c
}

/// Delta-rule fast-weight attention in chunkwise form: the output of
/// `fastWeightAttentionForward` (the T × T reference) in O(T·c·hs + T·hs²) per head. With W
/// the state before a chunk of n positions (zero before the first), per chunk:
///
/// ```
/// A = strictly_lower(diag(β)·K·Kᵀ)                 A[t, s] = β_t k_t·k_s for s < t   (n, n)
/// (I + A)·U = diag(β)·(V − K·Wᵀ)                   unit lower-triangular solve     (n, hs)
/// Y = Q·Wᵀ + lower(Q·Kᵀ)·U                          diagonal included
/// W ← W + Uᵀ·K                                     carried to the next chunk
/// ```
/// Row t of the solve is the recurrence's write `u_t = β_t (v_t − W_{t−1} k_t)` with
/// `W_{t−1} k_t = W k_t + Σ_{s<t in chunk} u_s (k_s·k_t)`: applying (I + A)⁻¹ diag(β) is the
/// UT transform of Yang et al. (their T = (I + A)⁻¹ diag(β), with U = T·V − (T·K)·Wᵀ).
///
/// - Parameters:
///   - saved: `chunkedFastWeightSavedCount` floats, overwritten with what the backward reads.
///   - scratch: `chunkedFastWeightScratchCount` floats.
///   - chunk: positions per chunk, ≥ 1; any T.
/// - Complexity: per head about 5·T·c·hs (chunk products, solve, triangular product) +
///   6·T·hs² (the state) FLOPs.
///
/// ### References
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021.
/// S. Yang, B. Wang, Y. Zhang, Y. Shen, Y. Kim, "Parallelizing Linear Transformers with the
/// Delta Rule over Sequence Length", NeurIPS 2024 (the chunkwise form, section 3).
public func chunkedFastWeightAttentionForward(
  out: UnsafeMutablePointer<Float>, saved: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, betaLogits: UnsafePointer<Float>,
  scratch: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, channels c: Int,
  heads nh: Int, chunk: Int
) {
  let hs = c / nh
  let cs = effectiveChunk(chunk, time: t)
  let views = ChunkedFastWeightSaved(saved, batch: b, time: t, channels: c, heads: nh)
  fillPhiAndBeta(views, qkv: qkv, betaLogits: betaLogits, rows: b * t, channels: c, heads: nh)
  let a = scratch  // (n, n)
  let w = a + cs * cs  // (hs, hs)
  for bi in 0..<b {
    for h in 0..<nh {
      w.update(repeating: 0, count: hs * hs)
      for start in stride(from: 0, to: t, by: cs) {
        let n = min(cs, t - start)
        let chunk = views.chunk(batch: bi, head: h, start: start, time: t, channels: c, heads: nh)
        let v = qkv + (bi * t + start) * 3 * c + 2 * c + h * hs  // (n, hs), row stride 3C
        let y = out + (bi * t + start) * c + h * hs  // (n, hs), row stride C
        packChunkMatrices(a, chunk, rows: n, headSize: hs, channels: c, heads: nh)
        // U = (I + A)⁻¹ diag(β) (V − K·Wᵀ).
        for row in 0..<n { (chunk.u + row * hs).update(from: v + row * 3 * c, count: hs) }
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(hs), Int32(hs),
          -1, chunk.k, Int32(2 * c), w, Int32(hs), 1, chunk.u, Int32(hs))
        for row in 0..<n {
          let beta = chunk.beta[row * 3 * nh]
          for j in 0..<hs { chunk.u[row * hs + j] *= beta }
        }
        cblas_strsm(
          CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasUnit, Int32(n), Int32(hs),
          1, a, Int32(n), chunk.u, Int32(hs))
        // Y = lower(Q·Kᵀ)·U + Q·Wᵀ.
        for row in 0..<n { (y + row * c).update(from: chunk.u + row * hs, count: hs) }
        cblas_strmm(
          CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(n), Int32(hs),
          1, a, Int32(n), y, Int32(c))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(hs), Int32(hs),
          1, chunk.q, Int32(2 * c), w, Int32(hs), 1, y, Int32(c))
        // W += Uᵀ·K.
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(hs), Int32(hs), Int32(n),
          1, chunk.u, Int32(hs), chunk.k, Int32(2 * c), 1, w, Int32(hs))
      }
    }
  }
}

/// Backward of `chunkedFastWeightAttentionForward`; adds into `dqkv` (B, T, 3C) and
/// `dbetaLogits` (B, T, H). Per head, a forward sweep rebuilds the state W at every chunk's
/// start from the saved U (`W ← W + Uᵀ·K`), then the chunks run backwards carrying dW, the
/// gradient of the state after the chunk. Per chunk, with L = lower(Q·Kᵀ), V' = V − K·Wᵀ:
///
/// ```
/// dU = Lᵀ·dY + K·dWᵀ            dL = lower(dY·Uᵀ)     dQ = dL·K + dY·W    dK = dLᵀ·Q + U·dW
/// G  = (I + A)⁻ᵀ·dU             dV = diag(β)·G        dβ_t = v'_t·G_t     dK −= diag(β)·G·W
/// dA = −strictly_lower(G·Uᵀ)    P = diag(β)·dA        dK += P·K + Pᵀ·K    dβ_t += k_t·(dA·K)_t
/// dW ← dW + dYᵀ·Q − (diag(β)·G)ᵀ·K                    carried to the chunk before
/// ```
/// then through the sigmoid (with the saved β, `betaLogits` is not read) and φ as
/// `fastWeightAttentionBackward`.
///
/// - Complexity: per head about 14·T·c·hs + 14·T·hs² FLOPs.
public func chunkedFastWeightAttentionBackward(
  dqkv: UnsafeMutablePointer<Float>, dbetaLogits: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, saved: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
  betaLogits: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, batch b: Int,
  time t: Int, channels c: Int, heads nh: Int, chunk: Int
) {
  let hs = c / nh
  let cs = effectiveChunk(chunk, time: t)
  let starts = Array(stride(from: 0, to: t, by: cs))
  let views = ChunkedFastWeightSaved(
    UnsafeMutablePointer(mutating: saved), batch: b, time: t, channels: c, heads: nh)
  let a = scratch  // (n, n): L on and below the diagonal, Aᵀ above
  let tt = a + cs * cs  // (n, n): dL, then dA
  let states = tt + cs * cs  // (⌈T/c⌉, hs, hs): W before each chunk
  let dw = states + starts.count * hs * hs  // (hs, hs)
  let du = dw + hs * hs  // (n, hs): dU, then G, then dA·K
  let dphiQ = du + cs * hs  // (n, hs)
  let dphiK = dphiQ + cs * hs  // (n, hs)
  let vp = dphiK + cs * hs  // (n, hs): V' = V − K·Wᵀ
  let bg = vp + cs * hs  // (n, hs): diag(β)·G
  let dbeta = bg + cs * hs  // (n)
  for bi in 0..<b {
    for h in 0..<nh {
      states.update(repeating: 0, count: hs * hs)
      for (j, start) in starts.enumerated().dropLast() {
        let chunk = views.chunk(batch: bi, head: h, start: start, time: t, channels: c, heads: nh)
        let next = states + (j + 1) * hs * hs
        next.update(from: states + j * hs * hs, count: hs * hs)
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(hs), Int32(hs),
          Int32(min(cs, t - start)), 1, chunk.u, Int32(hs), chunk.k, Int32(2 * c), 1, next,
          Int32(hs))
      }
      dw.update(repeating: 0, count: hs * hs)
      for (j, start) in starts.enumerated().reversed() {
        let n = min(cs, t - start)
        let chunk = views.chunk(batch: bi, head: h, start: start, time: t, channels: c, heads: nh)
        let (q, k, u, beta) = (chunk.q, chunk.k, chunk.u, chunk.beta)
        let w = states + j * hs * hs
        let offset = (bi * t + start) * 3 * c + h * hs
        let v = qkv + offset + 2 * c  // row stride 3C
        let dv = dqkv + offset + 2 * c
        let dy = dout + (bi * t + start) * c + h * hs  // row stride C
        packChunkMatrices(a, chunk, rows: n, headSize: hs, channels: c, heads: nh)
        for row in 0..<n { (vp + row * hs).update(from: v + row * 3 * c, count: hs) }
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(hs), Int32(hs),
          -1, k, Int32(2 * c), w, Int32(hs), 1, vp, Int32(hs))
        // dU = Lᵀ·dY + K·dWᵀ.
        for row in 0..<n { (du + row * hs).update(from: dy + row * c, count: hs) }
        cblas_strmm(
          CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, Int32(n), Int32(hs),
          1, a, Int32(n), du, Int32(hs))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(hs), Int32(hs),
          1, k, Int32(2 * c), dw, Int32(hs), 1, du, Int32(hs))
        // dL = lower(dY·Uᵀ); dφ(Q) = dL·K + dY·W; dφ(K) = dLᵀ·Q + U·dW.
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(hs),
          1, dy, Int32(c), u, Int32(hs), 0, tt, Int32(n))
        for row in 0..<n { (tt + row * n + row + 1).update(repeating: 0, count: n - row - 1) }
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(n),
          1, tt, Int32(n), k, Int32(2 * c), 0, dphiQ, Int32(hs))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(hs),
          1, dy, Int32(c), w, Int32(hs), 1, dphiQ, Int32(hs))
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(n),
          1, tt, Int32(n), q, Int32(2 * c), 0, dphiK, Int32(hs))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(hs),
          1, u, Int32(hs), dw, Int32(hs), 1, dphiK, Int32(hs))
        // G = (I + Aᵀ)⁻¹·dU; dV += diag(β)·G; dβ_t = v'_t·G_t; dK −= diag(β)·G·W.
        cblas_strsm(
          CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasUnit, Int32(n), Int32(hs),
          1, a, Int32(n), du, Int32(hs))
        for row in 0..<n {
          let bt = beta[row * 3 * nh]
          dbeta[row] = vectorDot(vp + row * hs, du + row * hs, hs)
          for j in 0..<hs {
            bg[row * hs + j] = bt * du[row * hs + j]
            dv[row * 3 * c + j] += bg[row * hs + j]
          }
        }
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(hs),
          -1, bg, Int32(hs), w, Int32(hs), 1, dphiK, Int32(hs))
        // dW for the chunk before: dW + dYᵀ·Q − (diag(β)·G)ᵀ·K.
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(hs), Int32(hs), Int32(n),
          1, dy, Int32(c), q, Int32(2 * c), 1, dw, Int32(hs))
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(hs), Int32(hs), Int32(n),
          -1, bg, Int32(hs), k, Int32(2 * c), 1, dw, Int32(hs))
        // dA = −strictly_lower(G·Uᵀ); dβ_t += k_t·(dA·K)_t; dK += diag(β)·dA·K + Pᵀ·K.
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(hs),
          -1, du, Int32(hs), u, Int32(hs), 0, tt, Int32(n))
        for row in 0..<n { (tt + row * n + row).update(repeating: 0, count: n - row) }
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(n),
          1, tt, Int32(n), k, Int32(2 * c), 0, du, Int32(hs))
        for row in 0..<n {
          let bt = beta[row * 3 * nh]
          dbeta[row] += vectorDot(k + row * 2 * c, du + row * hs, hs)
          for j in 0..<hs { dphiK[row * hs + j] += bt * du[row * hs + j] }
          for col in 0..<row { tt[row * n + col] *= bt }
        }
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(n),
          1, tt, Int32(n), k, Int32(2 * c), 1, dphiK, Int32(hs))
        // Through the sigmoid, and through the normalization and elu + 1.
        let dlogits = dbetaLogits + (bi * t + start) * nh + h
        for row in 0..<n {
          let bt = beta[row * 3 * nh]
          dlogits[row * nh] += dbeta[row] * bt * (1 - bt)
        }
        addThroughNormalizedEluPlusOne(
          dx: dqkv + offset, dphi: dphiQ, x: qkv + offset, phi: q, invSum: beta + nh,
          invSumStride: 3 * nh, time: n, channels: c, heads: nh)
        addThroughNormalizedEluPlusOne(
          dx: dqkv + offset + c, dphi: dphiK, x: qkv + offset + c, phi: k, invSum: beta + 2 * nh,
          invSumStride: 3 * nh, time: n, channels: c, heads: nh)
      }
    }
  }
}
