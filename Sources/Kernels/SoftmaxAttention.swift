import CBLAS

// Shapes: B = sequences, T = time, C = channels, H = heads, hs = C / H (head size).
// qkv is (B, T, 3C): q in channels [0, C), k in [C, 2C), v in [2C, 3C); head h of each is the
// slice [h·hs, (h+1)·hs). Each head's Q, K, V is therefore a (T, hs) matrix with row stride 3C,
// which BLAS reads in place: no head is copied out.

/// Rows per block of the causal products. Row block [r0, r1) of S = Q·Kᵀ only needs columns
/// [0, r1), so two blocks of 64 at T = 128 skip a quarter of every attention product; smaller
/// blocks skip more but run at a lower sgemm rate.
public let causalBlockRows = 64

/// Causal softmax attention, per sequence and head:
///
/// ```
/// S = Q·Kᵀ / √hs                          (T, T)
/// P = softmax(S) per row, over columns s ≤ t (later columns are 0)
/// Y = P·V                                 (T, hs), written to out[:, h·hs ..< (h+1)·hs]
/// ```
/// Saves `P` in `att` (B, H, T, T) for the backward. With `fused` (the default) and a shape
/// `fusedAttentionApplies` to, the BLAS-free kernel of FusedSoftmaxAttention.swift runs;
/// otherwise each product is a `cblas_sgemm` per block of `blockRows` rows, over the columns the
/// block's last row can see.
///
/// - Complexity: up to 4·B·T²·C FLOPs in `cblas_sgemm`, ¾ of that with two blocks.
///
/// ### References
/// A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
public func softmaxAttentionForward(
  out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, batch b: Int, time t: Int, channels c: Int, heads nh: Int,
  blockRows: Int = causalBlockRows, fused: Bool = true
) {
  if fused && fusedAttentionApplies(time: t, headSize: c / nh) {
    fusedSoftmaxAttentionForward(
      out: out, att: att, qkv: qkv, batch: b, time: t, channels: c, heads: nh)
    return
  }
  let hs = c / nh
  let scale = 1 / Float(hs).squareRoot()
  let ld = Int32(3 * c)
  for bi in 0..<b {
    for h in 0..<nh {
      let q = qkv + bi * t * 3 * c + h * hs
      let k = q + c
      let v = q + 2 * c
      let p = att + (bi * nh + h) * t * t
      let y = out + bi * t * c + h * hs
      for r0 in stride(from: 0, to: t, by: blockRows) {
        let r1 = min(t, r0 + blockRows)
        let rows = Int32(r1 - r0)
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, rows, Int32(r1), Int32(hs),
          scale, q + r0 * 3 * c, ld, k, ld, 0, p + r0 * t, Int32(t))
        // Columns past r1 are read by no product; the row is cleared only up to r1.
        for row in r0..<r1 { causalSoftmaxRow(p + row * t, valid: row + 1, length: r1) }
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, Int32(hs), Int32(r1),
          1, p + r0 * t, Int32(t), v, ld, 0, y + r0 * c, Int32(c))
      }
    }
  }
}

/// Floats of scratch `softmaxAttentionBackward` needs: one (T, T) matrix.
public func softmaxAttentionScratchCount(time t: Int) -> Int { t * t }

/// Backward of `softmaxAttentionForward`, adding into `dqkv` (B, T, 3C):
///
/// ```
/// dP = dY·Vᵀ,   dV += Pᵀ·dY
/// dS = P ⊙ (dP − rowsum(P ⊙ dP)) / √hs
/// dQ += dS·K,   dK += dSᵀ·Q
/// ```
/// Row products (dP, dQ) run per row block over the visible columns; column products (dV, dK)
/// per column block over the rows that can see it. Each part of dqkv is the output of exactly
/// one product, so with `accumulate: false` it is written instead of added to (no clearing).
/// `fused` must be what the forward that saved `att` was given.
public func softmaxAttentionBackward(
  dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, att: UnsafePointer<Float>,
  qkv: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, batch b: Int, time t: Int,
  channels c: Int, heads nh: Int, blockRows: Int = causalBlockRows, accumulate: Bool = true,
  fused: Bool = true
) {
  if fused && fusedAttentionApplies(time: t, headSize: c / nh) {
    fusedSoftmaxAttentionBackward(
      dqkv: dqkv, dout: dout, att: att, qkv: qkv, scratch: scratch, batch: b, time: t,
      channels: c, heads: nh, accumulate: accumulate)
    return
  }
  let beta: Float = accumulate ? 1 : 0
  let hs = c / nh
  let scale = 1 / Float(hs).squareRoot()
  let ld = Int32(3 * c)
  let dp = scratch
  for bi in 0..<b {
    for h in 0..<nh {
      let offset = bi * t * 3 * c + h * hs
      let q = qkv + offset
      let k = q + c
      let v = q + 2 * c
      let dq = dqkv + offset
      let dk = dq + c
      let dv = dq + 2 * c
      let p = att + (bi * nh + h) * t * t
      let dy = dout + bi * t * c + h * hs
      for r0 in stride(from: 0, to: t, by: blockRows) {
        let r1 = min(t, r0 + blockRows)
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r1 - r0), Int32(r1), Int32(hs),
          1, dy + r0 * c, Int32(c), v, ld, 0, dp + r0 * t, Int32(t))
        for row in r0..<r1 {
          softmaxRowBackward(
            dp + row * t, probabilities: p + row * t, valid: row + 1,
            length: r1, scale: scale)
        }
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(r1 - r0), Int32(hs), Int32(r1),
          1, dp + r0 * t, Int32(t), k, ld, beta, dq + r0 * 3 * c, ld)
      }
      for c0 in stride(from: 0, to: t, by: blockRows) {
        let c1 = min(t, c0 + blockRows)
        let (columns, rows) = (Int32(c1 - c0), Int32(t - c0))
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, columns, Int32(hs), rows,
          1, p + c0 * t + c0, Int32(t), dy + c0 * c, Int32(c), beta, dv + c0 * 3 * c, ld)
        cblas_sgemm(
          CblasRowMajor, CblasTrans, CblasNoTrans, columns, Int32(hs), rows,
          1, dp + c0 * t + c0, Int32(t), q + c0 * 3 * c, ld, beta, dk + c0 * 3 * c, ld)
      }
    }
  }
}

/// Softmax over the first `valid` entries of a row of `length`, zeroing the rest (the future
/// positions). Whole vectors throughout: lanes at or past `valid` are masked (to −∞ for the
/// maximum, to 0 after the exponential), so a row of any length costs ⌈valid/8⌉ vector steps.
@inline(__always)
func causalSoftmaxRow(_ x: UnsafeMutablePointer<Float>, valid n: Int, length: Int) {
  guard length % vectorWidth == 0 else {
    softmaxInPlace(x, count: n)
    (x + n).update(repeating: 0, count: length - n)
    return
  }
  let lane = FloatVector(
    lowHalf: SIMD8(0, 1, 2, 3, 4, 5, 6, 7), highHalf: SIMD8(8, 9, 10, 11, 12, 13, 14, 15))
  let end = (n + vectorWidth - 1) / vectorWidth * vectorWidth
  var maxima = FloatVector(repeating: -.infinity)
  var i = 0
  while i < end {
    var v = loadVector(x + i)
    v.replace(with: -.infinity, where: lane .>= Float(n - i))
    maxima.replace(with: v, where: v .> maxima)
    i += vectorWidth
  }
  let m = horizontalMax(maxima)
  var sums = FloatVector()
  i = 0
  while i < end {
    var e = expVector(loadVector(x + i) - m)
    e.replace(with: 0, where: lane .>= Float(n - i))
    storeVector(e, x + i)
    sums += e
    i += vectorWidth
  }
  let inv = 1 / horizontalSum(sums)
  i = 0
  while i < end {
    storeVector(loadVector(x + i) * inv, x + i)
    i += vectorWidth
  }
  clear(x + end, count: length - end)
}

/// `ds = p ⊙ (dp − Σ p ⊙ dp) · scale` over the first `valid` entries of a row, in place over
/// `dp`, and 0 up to `length`. P is exactly 0 past the diagonal, so whole vectors can run over
/// the tail lanes: they come out 0 as long as `dp` there is finite (sgemm output).
@inline(__always)
func softmaxRowBackward(
  _ dp: UnsafeMutablePointer<Float>, probabilities p: UnsafePointer<Float>, valid n: Int,
  length: Int, scale: Float
) {
  let end = min(length, (n + vectorWidth - 1) / vectorWidth * vectorWidth)
  let vectorEnd = end - end % vectorWidth
  var dots = FloatVector()
  var i = 0
  while i < vectorEnd {
    dots += loadVector(p + i) * loadVector(dp + i)
    i += vectorWidth
  }
  var centre = horizontalSum(dots)
  let tail = max(n, vectorEnd)
  for j in vectorEnd..<tail { centre += p[j] * dp[j] }
  i = 0
  while i < vectorEnd {
    let pv = loadVector(p + i)
    storeVector(pv * (loadVector(dp + i) - centre) * scale, dp + i)
    i += vectorWidth
  }
  for j in vectorEnd..<tail { dp[j] = p[j] * (dp[j] - centre) * scale }
  clear(dp + tail, count: length - tail)
}
