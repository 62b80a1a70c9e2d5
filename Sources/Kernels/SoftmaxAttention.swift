import CBLAS

// Shapes: B = sequences, T = time, C = channels, H = heads, hs = C / H (head size).
// qkv is (B, T, 3C): q in channels [0, C), k in [C, 2C), v in [2C, 3C); head h of each is the
// slice [h·hs, (h+1)·hs). Each head's Q, K, V is therefore a (T, hs) matrix with row stride 3C,
// which BLAS reads in place: no head is copied out.

/// Causal softmax attention, per sequence and head:
///
/// ```
/// S = Q·Kᵀ / √hs                          (T, T)
/// P = softmax(S) per row, over columns s ≤ t (later columns are 0)
/// Y = P·V                                 (T, hs), written to out[:, h·hs ..< (h+1)·hs]
/// ```
/// Saves `P` in `att` (B, H, T, T) for the backward.
///
/// - Complexity: 4·B·T²·C FLOPs in `cblas_sgemm` (the full T×T product; computing only its
///   lower half would save half the FLOPs, at a far lower rate than one sgemm).
///
/// ### References
/// A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
public func softmaxAttentionForward(
  out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, batch b: Int, time t: Int, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  let scale = 1 / Float(hs).squareRoot()
  for bi in 0..<b {
    for h in 0..<nh {
      let q = qkv + bi * t * 3 * c + h * hs
      let k = q + c
      let v = q + 2 * c
      let p = att + (bi * nh + h) * t * t
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        scale, q, Int32(3 * c), k, Int32(3 * c), 0, p, Int32(t))
      for row in 0..<t { causalSoftmaxRow(p + row * t, valid: row + 1, length: t) }
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, p, Int32(t), v, Int32(3 * c), 0, out + bi * t * c + h * hs, Int32(c))
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
public func softmaxAttentionBackward(
  dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, att: UnsafePointer<Float>,
  qkv: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, batch b: Int, time t: Int,
  channels c: Int, heads nh: Int
) {
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
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        1, dy, Int32(c), v, ld, 0, dp, Int32(t))
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, p, Int32(t), dy, Int32(c), 1, dv, ld)
      for row in 0..<t {
        let pr = p + row * t
        let dr = dp + row * t
        let n = row + 1
        let centre = vectorDot(pr, dr, n)
        for j in 0..<n { dr[j] = pr[j] * (dr[j] - centre) * scale }
        (dr + n).update(repeating: 0, count: t - n)
      }
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, dp, Int32(t), k, ld, 1, dq, ld)
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, dp, Int32(t), q, ld, 1, dk, ld)
    }
  }
}

/// Softmax over the first `valid` entries of a row of `length`, zeroing the rest (the future
/// positions). The partial last vector is masked rather than finished one lane at a time.
@inline(__always)
func causalSoftmaxRow(_ x: UnsafeMutablePointer<Float>, valid n: Int, length: Int) {
  let m = vectorMax(x, n)
  let vectorEnd = min(
    length - length % vectorWidth, (n + vectorWidth - 1) / vectorWidth * vectorWidth)
  let lane = laneIndices  // compared as floats: integer masks scalarize
  var acc = FloatVector()
  var i = 0
  while i < vectorEnd {
    var e = expVector(loadVector(x + i) - m)
    e.replace(with: 0, where: lane .>= Float(n - i))
    storeVector(e, x + i)
    acc += e
    i += vectorWidth
  }
  var sum = acc.sum()
  while i < n {
    x[i] = fastExp(x[i] - m)
    sum += x[i]
    i += 1
  }
  let inv = FloatVector(repeating: 1 / sum)
  i = 0
  while i < vectorEnd {
    storeVector(loadVector(x + i) * inv, x + i)
    i += vectorWidth
  }
  while i < n {
    x[i] *= inv[0]
    i += 1
  }
  (x + max(n, vectorEnd)).update(repeating: 0, count: length - max(n, vectorEnd))
}

/// 0, 1, 2, … per lane.
let laneIndices = FloatVector((0..<vectorWidth).map { Float($0) })
