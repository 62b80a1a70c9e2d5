// Shapes as in SoftmaxAttention.swift: qkv (B, T, 3C), head h of q, k, v the columns
// [h·hs, (h+1)·hs) of each third; att (B, H, T, T); hs = C / H.

/// Whether the fused kernels below take a shape: whole vectors of time and of head size.
/// The bench model (T = 128, hs = 32) and the d128 configs (hs = 16, 32) qualify; other shapes
/// run the per-head sgemm path of `softmaxAttentionForward`.
public func fusedAttentionApplies(time t: Int, headSize hs: Int) -> Bool {
  t % (2 * attentionTileRows) == 0 && hs % vectorWidth == 0 && t > 0 && hs > 0
}

/// Causal softmax attention without BLAS, one 8-row tile of queries at a time:
///
/// ```
/// S[i0 ..< i0+8, 0 ..< L] = Q·Kᵀ / √hs        L = the tile's visible columns, whole vectors
/// P = softmax(S) per row, over columns s ≤ t  (saved in att, 0 from t+1 up to L)
/// Y[i0 ..< i0+8, :] = P·V                     (over columns 0 ..< i0+8 only)
/// ```
/// For head sizes of a few vectors the per-head sgemms of the blocked path spend more time in
/// call overhead, packing and `beta = 0` clearing than in arithmetic; here Kᵀ (hs, T) is
/// transposed once per (sequence, head) in 8 × 8 register blocks (`transposeHead`) and every
/// product is an `AttentionTile` loop; the row softmax runs two rows at a time and reduces with
/// trees (`fusedCausalSoftmaxRowPair`). Causal skipping is exact to a vector: about T²/2
/// entries of each product instead of ¾·T².
/// Entries of att past each tile's `L` are not written (no product reads them).
///
/// - Precondition: `fusedAttentionApplies(time: t, headSize: c / nh)`.
/// - Complexity: about 2·B·T²·C FLOPs (half of the full products), no allocation but one
///   (hs, T) transpose buffer.
///
/// ### References
/// A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
func fusedSoftmaxAttentionForward(
  out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, batch b: Int, time t: Int, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  let scale = 1 / Float(hs).squareRoot()
  withUnsafeTemporaryAllocation(of: Float.self, capacity: hs * t) { buffer in
    let kt = buffer.baseAddress!  // (hs, T): Kᵀ of one head
    for bi in 0..<b {
      for h in 0..<nh {
        let q = qkv + bi * t * 3 * c + h * hs
        let (k, v) = (q + c, q + 2 * c)
        let p = att + (bi * nh + h) * t * t
        let y = out + bi * t * c + h * hs
        transposeHead(k, ld: 3 * c, rows: t, columns: hs, into: kt)
        for i0 in stride(from: 0, to: t, by: attentionTileRows) {
          let (visible, length) = causalExtent(ofTileAt: i0)
          tileRowsProduct(
            q + i0 * 3 * c, lda: 3 * c, depth: hs, kt, ldb: t, columns: length,
            into: p + i0 * t, ldo: t, scale: scale)
          for row in stride(from: i0, to: visible, by: 2) {
            fusedCausalSoftmaxRowPair(p + row * t, ld: t, valid: row + 1, length: length)
          }
          tileRowsProduct(
            p + i0 * t, lda: t, depth: visible, v, ldb: 3 * c, columns: hs, into: y + i0 * c,
            ldo: c)
        }
      }
    }
  }
}

/// Backward of `fusedSoftmaxAttentionForward`, into `dqkv` (B, T, 3C), added with `accumulate`:
///
/// ```
/// dP = dY·Vᵀ,   dS = P ⊙ (dP − rowsum(P ⊙ dP)) / √hs     per 8-row tile, in scratch (T, T)
/// dQ = dS·K                                             per 8-row tile of queries
/// dV = Pᵀ·dY,   dK = dSᵀ·Q                              per 8-row tile of keys, rows s ≥ s0
/// ```
/// The row step is `fusedSoftmaxRowBackward`. K, Q and dY, the B operands read down all T
/// rows, are first copied to contiguous (T, hs) buffers (`packHead`): in place their rows are
/// 3C or C floats apart, a stride that maps them to a few L1 sets, which then evict each other.
/// The transposed products read P and dS down their columns through the tile's `kStride`:
/// neither is copied. Upper-triangle entries inside a tile are 0 in both (the row softmax and
/// its backward clear them up to the tile's vector length).
func fusedSoftmaxAttentionBackward(
  dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, att: UnsafePointer<Float>,
  qkv: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, batch b: Int, time t: Int,
  channels c: Int, heads nh: Int, accumulate: Bool
) {
  let hs = c / nh
  let scale = 1 / Float(hs).squareRoot()
  let dp = scratch  // (T, T): dP, then dS in place
  withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * hs * t) { buffer in
    let vt = buffer.baseAddress!  // (hs, T): Vᵀ of one head
    // (T, hs) each, rows contiguous: the B operands of dQ, dK and dV
    let (kh, qh, dyh) = (vt + hs * t, vt + 2 * hs * t, vt + 3 * hs * t)
    for bi in 0..<b {
      for h in 0..<nh {
        let offset = bi * t * 3 * c + h * hs
        let (q, dq) = (qkv + offset, dqkv + offset)
        let (k, v, dk, dv) = (q + c, q + 2 * c, dq + c, dq + 2 * c)
        let p = att + (bi * nh + h) * t * t
        let dy = dout + bi * t * c + h * hs
        transposeHead(v, ld: 3 * c, rows: t, columns: hs, into: vt)
        packHead(k, ld: 3 * c, rows: t, columns: hs, into: kh)
        packHead(q, ld: 3 * c, rows: t, columns: hs, into: qh)
        packHead(dy, ld: c, rows: t, columns: hs, into: dyh)
        for i0 in stride(from: 0, to: t, by: attentionTileRows) {
          let (visible, length) = causalExtent(ofTileAt: i0)
          tileRowsProduct(
            dy + i0 * c, lda: c, depth: hs, vt, ldb: t, columns: length, into: dp + i0 * t, ldo: t)
          for row in i0..<visible {
            fusedSoftmaxRowBackward(
              dp + row * t, probabilities: p + row * t, valid: row + 1, length: length,
              scale: scale)
          }
          tileRowsProduct(
            dp + i0 * t, lda: t, depth: visible, kh, ldb: hs, columns: hs,
            into: dq + i0 * 3 * c, ldo: 3 * c, accumulate: accumulate)
        }
        for s0 in stride(from: 0, to: t, by: attentionTileRows) {
          tileColumnsProduct(
            p, lda: t, from: s0, to: t, dyh, ldb: hs, columns: hs, into: dv + s0 * 3 * c,
            ldo: 3 * c, accumulate: accumulate)
          tileColumnsProduct(
            dp, lda: t, from: s0, to: t, qh, ldb: hs, columns: hs, into: dk + s0 * 3 * c,
            ldo: 3 * c, accumulate: accumulate)
        }
      }
    }
  }
}
