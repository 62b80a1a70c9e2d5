import CBLAS

/// Views of the three tensors packed in the chunked delta rule's `saved` buffer
/// (`chunkedFastWeightSavedCount`).
struct ChunkedFastWeightSaved {
  let phi: UnsafeMutablePointer<Float>  // (B, T, 2C)
  let betaAndNorms: UnsafeMutablePointer<Float>  // (B, T, 3H)
  let u: UnsafeMutablePointer<Float>  // (B, H, T, hs)

  init(
    _ saved: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, channels c: Int,
    heads nh: Int
  ) {
    phi = saved
    betaAndNorms = phi + b * t * 2 * c
    u = betaAndNorms + b * t * 3 * nh
  }

  /// The first row of one chunk of one head in each saved tensor.
  func chunk(batch bi: Int, head h: Int, start: Int, time t: Int, channels c: Int, heads nh: Int)
    -> FastWeightChunk
  {
    let hs = c / nh
    let q = phi + (bi * t + start) * 2 * c + h * hs
    return FastWeightChunk(
      q: q, k: q + c, u: u + ((bi * nh + h) * t + start) * hs,
      beta: betaAndNorms + (bi * t + start) * 3 * nh + h)
  }
}

/// One chunk of one head: φ(q), φ(k) (row stride 2C), U (row stride hs), β (stride 3H; the
/// inverse sums of φ(q) and φ(k) follow at `beta + H` and `beta + 2H`).
struct FastWeightChunk {
  let q: UnsafeMutablePointer<Float>
  let k: UnsafeMutablePointer<Float>
  let u: UnsafeMutablePointer<Float>
  let beta: UnsafeMutablePointer<Float>
}

/// φ(q), φ(k) (normalized elu + 1) and β = sigmoid(logit) of every token, with the inverse
/// sums the backward needs, as `fastWeightAttentionForward` computes them.
func fillPhiAndBeta(
  _ views: ChunkedFastWeightSaved, qkv: UnsafePointer<Float>, betaLogits: UnsafePointer<Float>,
  rows: Int, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  for bt in 0..<rows {
    let x = qkv + bt * 3 * c
    let p = views.phi + bt * 2 * c
    let scalars = views.betaAndNorms + bt * 3 * nh
    for h in 0..<nh {
      scalars[h] = 1 / (1 + fastExp(-betaLogits[bt * nh + h]))
      for part in 0..<2 {
        let o = part * c + h * hs
        scalars[(1 + part) * nh + h] = normalizedEluPlusOne(p + o, x + o, hs)
      }
    }
  }
}

/// Packs one chunk's two triangles into `a` (n, n), as `fastWeightAttentionForward` does for
/// the whole sequence: `L = Q·Kᵀ` on and below the diagonal (read by `strmm` as a non-unit
/// lower matrix) and `Aᵀ` strictly above it, `a[s, t] = β_t k_t·k_s` (read by `strsm` as the
/// unit upper matrix `I + Aᵀ`).
func packChunkMatrices(
  _ a: UnsafeMutablePointer<Float>, _ chunk: FastWeightChunk, rows n: Int, headSize hs: Int,
  channels c: Int, heads nh: Int
) {
  cblas_sgemm(
    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(hs),
    1, chunk.q, Int32(2 * c), chunk.k, Int32(2 * c), 0, a, Int32(n))
  cblas_ssyrk(
    CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(hs),
    1, chunk.k, Int32(2 * c), 0, a, Int32(n))
  for row in 0..<n {
    a[row * n + row] = vectorDot(chunk.q + row * 2 * c, chunk.k + row * 2 * c, hs)
    for col in (row + 1)..<n { a[row * n + col] *= chunk.beta[col * 3 * nh] }
  }
}
