import CBLAS

// Shapes: B = sequences, T = time, C = channels, H = heads, hs = C / H, c = chunk (positions
// per chunk; the last chunk of a sequence may be shorter, n = min(c, T − start) rows).
// qkv (B, T, 3C) and out (B, T, C) laid out as for softmax attention (SoftmaxAttention.swift).

/// The chunk length a kernel really uses for sequences of `t` positions: `chunk` clamped to
/// 1...t.
@inline(__always)
public func effectiveChunk(_ chunk: Int, time t: Int) -> Int { max(1, min(chunk, t)) }

/// Floats of scratch `chunkedLinearAttentionForward` and `...Backward` need (reused for every
/// sequence and head): two (c, c) matrices, the state S (hs, hs) and z (hs), two (c, hs)
/// matrices and a (c) vector.
public func chunkedLinearAttentionScratchCount(time t: Int, headSize hs: Int, chunk: Int) -> Int {
  let c = effectiveChunk(chunk, time: t)
  return 2 * c * c + hs * hs + hs + 2 * c * hs + c
}

/// Causal linear attention in chunkwise form, `linear` or the sum-rule fast weights
/// (`LinearAttentionForm`): the output of `linearAttentionForward` or
/// `fastWeightSumAttentionForward` (their parallel T × T forms are the references), in
/// O(T·c·hs + T·hs²) per head instead of O(T²·hs). Per sequence and head, chunks of c
/// positions:
///
/// ```
/// A   = lower(φ(Q_c)·φ(K_c)ᵀ)                                  (n, n), diagonal included
/// y_t = (A·V_c + φ(Q_c)·S)_t / (Σ_s A[t, s] + φ(q_t)·z + 1e-6)   rows of the chunk
/// S  += φ(K_c)ᵀ·V_c,   z += Σ_{s in chunk} φ(k_s)                 carried to the next chunk
/// ```
/// `fastWeightSum` has no denominator (y_t = (A·V_c + φ(Q_c)·S)_t) and no z. S (hs, hs) and z
/// (hs) start at 0 for each sequence: they are the recurrence's state (`linearAttentionStep`;
/// for the sum rule S = Wᵀ of `fastWeightSumAttentionStep`) at the chunk's start. Chunk c = 1
/// is the recurrence; c ≥ T is the parallel form.
///
/// Saves φ(q), φ(k) in `phi` (B, T, 2C) and per token and head `form.scalarsPerHead` floats
/// in `scalars` (B, T, scalarsPerHead·H): the denominators, or the inverse sums of φ(q), φ(k).
/// The backward recomputes the rest chunk by chunk.
///
/// - Parameters:
///   - out: (B, T, C), overwritten.   scratch: `chunkedLinearAttentionScratchCount` floats.
///   - chunk: positions per chunk, ≥ 1; any T (the last chunk is ragged when c ∤ T).
/// - Complexity: per head 4·T·c·hs (the chunk products) + 4·T·hs² (the state) FLOPs.
///
/// ### References
/// A. Katharopoulos, A. Vyas, N. Pappas, F. Fleuret, "Transformers are RNNs: Fast
/// Autoregressive Transformers with Linear Attention", ICML 2020.
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021, section 4.1 (the sum update rule).
/// S. Yang, B. Wang, Y. Shen, R. Panda, Y. Kim, "Gated Linear Attention Transformers with
/// Hardware-Efficient Training", ICML 2024 (the chunkwise form, section 2.2).
public func chunkedLinearAttentionForward(
  out: UnsafeMutablePointer<Float>, phi: UnsafeMutablePointer<Float>,
  scalars: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
  scratch: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, channels c: Int,
  heads nh: Int, chunk: Int, form: LinearAttentionForm
) {
  let hs = c / nh
  let cs = effectiveChunk(chunk, time: t)
  fillFeatures(form, phi: phi, scalars: scalars, qkv: qkv, rows: b * t, channels: c, heads: nh)
  let a = scratch  // (n, n), row stride n
  let s = a + cs * cs  // (hs, hs): S = Σ φ(k) vᵀ of the chunks before
  let z = s + hs * hs  // (hs)
  for bi in 0..<b {
    for h in 0..<nh {
      s.update(repeating: 0, count: hs * hs + hs)
      for start in stride(from: 0, to: t, by: cs) {
        let n = min(cs, t - start)
        let q = phi + (bi * t + start) * 2 * c + h * hs  // (n, hs), row stride 2C
        let k = q + c
        let v = qkv + (bi * t + start) * 3 * c + 2 * c + h * hs  // (n, hs), row stride 3C
        let y = out + (bi * t + start) * c + h * hs  // (n, hs), row stride C
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(hs),
          1, q, Int32(2 * c), k, Int32(2 * c), 0, a, Int32(n))
        for row in 0..<n { (a + row * n + row + 1).update(repeating: 0, count: n - row - 1) }
        // Y = A·V_c + φ(Q_c)·S, then (linear) each row over its denominator.
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(n),
          1, a, Int32(n), v, Int32(3 * c), 0, y, Int32(c))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(hs),
          1, q, Int32(2 * c), s, Int32(hs), 1, y, Int32(c))
        if form.hasDenominator {
          let d = scalars + (bi * t + start) * nh + h  // (n), stride H
          for row in 0..<n {
            let total =
              vectorSum(a + row * n, row + 1) + vectorDot(q + row * 2 * c, z, hs)
              + linearAttentionEpsilon
            d[row * nh] = total
            let inv = 1 / total
            for j in 0..<hs { y[row * c + j] *= inv }
          }
          for row in 0..<n {
            for i in 0..<hs { z[i] += k[row * 2 * c + i] }
          }
        }
        // Carry: S += φ(K_c)ᵀ·V_c.
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(hs), Int32(hs), Int32(n),
          1, k, Int32(2 * c), v, Int32(3 * c), 1, s, Int32(hs))
      }
    }
  }
}

/// Backward of `chunkedLinearAttentionForward`, adding into `dqkv` (B, T, 3C); `out`, `phi`
/// and `scalars` are the forward's, `form` the same. Per chunk, with `dnum_t = dy_t / den_t`
/// and `dden_t = −(dy_t · y_t) / den_t` (`fastWeightSum`: `dnum = dY`, `dden = 0`, no z),
/// `dA = lower(dnum·V_cᵀ + dden·1ᵀ)`:
///
/// ```
/// dφ(Q_c) = dA·φ(K_c) + dnum·Sᵀ + dden·zᵀ            S, z: the state before the chunk
/// dφ(K_c) = dAᵀ·φ(Q_c) + V_c·dSᵀ + 1·dzᵀ             dS, dz: from the chunks after
/// dV_c    = Aᵀ·dnum + φ(K_c)·dS
/// dS += φ(Q_c)ᵀ·dnum,   dz += φ(Q_c)ᵀ·dden            carried backwards
/// ```
/// with `dS = Σ_{t after} φ(q_t) dnum_tᵀ`, `dz = Σ_{t after} dden_t φ(q_t)`, then through φ
/// (`addThroughFeatureMap`). Two sweeps per head: forwards (carrying S, z) for dφ(Q), then
/// backwards (carrying dS, dz) for dφ(K) and dV; each recomputes A and dA of its chunk, so
/// nothing of size T² or T·hs² is kept.
///
/// - Complexity: per head about 14·T·c·hs + 8·T·hs² FLOPs.
public func chunkedLinearAttentionBackward(
  dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, out: UnsafePointer<Float>,
  phi: UnsafePointer<Float>, scalars: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
  scratch: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, channels c: Int,
  heads nh: Int, chunk: Int, form: LinearAttentionForm
) {
  let hs = c / nh
  let cs = effectiveChunk(chunk, time: t)
  let a = scratch  // (n, n)
  let da = a + cs * cs  // (n, n)
  let s = da + cs * cs  // (hs, hs): S forwards, dS backwards
  let z = s + hs * hs  // (hs): z forwards, dz backwards
  let dnum = z + hs  // (n, hs)
  let tmp = dnum + cs * hs  // (n, hs): dφ(Q_c), then dφ(K_c)
  let dden = tmp + cs * hs  // (n)
  let den = form.hasDenominator
  for bi in 0..<b {
    for h in 0..<nh {
      /// Pointers of one chunk, and its A, dA, dnum and dden recomputed into scratch.
      func prepare(_ start: Int, _ n: Int) -> ChunkRows {
        let rows = ChunkRows(
          q: phi + (bi * t + start) * 2 * c + h * hs,
          offset: (bi * t + start) * 3 * c + h * hs,
          scalars: scalars + (bi * t + start) * form.scalarsPerHead * nh + h)
        let y = out + (bi * t + start) * c + h * hs
        let dy = dout + (bi * t + start) * c + h * hs
        for row in 0..<n {
          let inv = den ? 1 / rows.scalars[row * nh] : 1
          for j in 0..<hs { dnum[row * hs + j] = dy[row * c + j] * inv }
          dden[row] = den ? -vectorDot(dy + row * c, y + row * c, hs) * inv : 0
        }
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(hs),
          1, rows.q, Int32(2 * c), rows.q + c, Int32(2 * c), 0, a, Int32(n))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(hs),
          1, dnum, Int32(hs), qkv + rows.offset + 2 * c, Int32(3 * c), 0, da, Int32(n))
        for row in 0..<n {
          (a + row * n + row + 1).update(repeating: 0, count: n - row - 1)
          let r = da + row * n
          if den {
            for j in 0...row { r[j] += dden[row] }
          }
          (r + row + 1).update(repeating: 0, count: n - row - 1)
        }
        return rows
      }
      let starts = Array(stride(from: 0, to: t, by: cs))
      // Forwards: dφ(Q_c) = dA·φ(K_c) + dnum·Sᵀ + dden·zᵀ.
      s.update(repeating: 0, count: hs * hs + hs)
      for start in starts {
        let n = min(cs, t - start)
        let rows = prepare(start, n)
        let (q, k, v) = (rows.q, rows.q + c, qkv + rows.offset + 2 * c)
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(n),
          1, da, Int32(n), k, Int32(2 * c), 0, tmp, Int32(hs))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(hs), Int32(hs),
          1, dnum, Int32(hs), s, Int32(hs), 1, tmp, Int32(hs))
        if den {
          for row in 0..<n {
            for i in 0..<hs { tmp[row * hs + i] += dden[row] * z[i] }
          }
          for row in 0..<n {
            for i in 0..<hs { z[i] += k[row * 2 * c + i] }
          }
        }
        addThroughFeatureMap(
          form, part: 0, dx: dqkv + rows.offset, dphi: tmp, x: qkv + rows.offset, phi: q,
          scalars: rows.scalars, rows: n, channels: c, heads: nh)
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(hs), Int32(hs), Int32(n),
          1, k, Int32(2 * c), v, Int32(3 * c), 1, s, Int32(hs))
      }
      // Backwards: dV_c, dφ(K_c), carrying dS (in s) and dz (in z).
      s.update(repeating: 0, count: hs * hs + hs)
      for start in starts.reversed() {
        let n = min(cs, t - start)
        let rows = prepare(start, n)
        let (q, k, v) = (rows.q, rows.q + c, qkv + rows.offset + 2 * c)
        let dv = dqkv + rows.offset + 2 * c
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(n),
          1, a, Int32(n), dnum, Int32(hs), 1, dv, Int32(3 * c))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(hs),
          1, k, Int32(2 * c), s, Int32(hs), 1, dv, Int32(3 * c))
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(hs), Int32(n),
          1, da, Int32(n), q, Int32(2 * c), 0, tmp, Int32(hs))
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(hs), Int32(hs),
          1, v, Int32(3 * c), s, Int32(hs), 1, tmp, Int32(hs))
        if den {
          for row in 0..<n {
            for i in 0..<hs { tmp[row * hs + i] += z[i] }
          }
          for row in 0..<n {
            for i in 0..<hs { z[i] += dden[row] * q[row * 2 * c + i] }
          }
        }
        addThroughFeatureMap(
          form, part: 1, dx: dqkv + rows.offset + c, dphi: tmp, x: qkv + rows.offset + c,
          phi: k, scalars: rows.scalars, rows: n, channels: c, heads: nh)
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, Int32(hs), Int32(hs), Int32(n),
          1, q, Int32(2 * c), dnum, Int32(hs), 1, s, Int32(hs))
      }
    }
  }
}

/// Where one chunk of one head starts: φ(q) of its first row (φ(k) is `q + C`), the offset
/// of its first row's q in qkv-shaped buffers (k at `+ C`, v at `+ 2C`), and its first row's
/// saved scalars (row stride `scalarsPerHead·H`).
struct ChunkRows {
  let q: UnsafePointer<Float>
  let offset: Int
  let scalars: UnsafePointer<Float>
}
