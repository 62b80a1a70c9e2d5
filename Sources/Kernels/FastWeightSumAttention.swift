import CBLAS

#if canImport(Glibc)
  import Glibc
#endif

// Shapes: B = sequences, T = time, C = channels, H = heads, hs = C / H.
// qkv (B, T, 3C): q at channels [0, C), k at [C, 2C), v at [2C, 3C); head h of each at
// [h·hs, (h+1)·hs). out (B, T, C), head h at [h·hs, (h+1)·hs).
//
// Per sequence and head, with φ(x) = elu(x) + 1 divided by its sum over the head's hs entries
// (the feature map of the delta rule, `fastWeightAttentionForward`), W_0 = 0 (hs, hs):
//
//   W_t = W_{t−1} + v_t φ(k_t)ᵀ,   y_t = W_t φ(q_t)
//
// the purely additive ("sum") update of Schlag et al. 2021, section 4.1: the delta rule with
// β = 1 and the retrieval term W_{t−1} φ(k_t) left out. Row-major per (b, h): Q = φ(q),
// K = φ(k), V (T, hs).

/// Floats of the `saved` buffer `fastWeightSumAttentionForward` fills for the backward: three
/// tensors back to back, in this order (see `FastWeightSumSaved`):
///
/// ```
/// phi      (B, T, 2C)    φ(q) then φ(k), normalized, per token
/// invSums  (B, T, 2H)    per token and head: 1/Σ(elu(q)+1), then 1/Σ(elu(k)+1)
/// att      (B, H, T, T)  lower(Q·Kᵀ), zero above the diagonal
/// ```
/// In all `B·T·(2C + 2H) + B·H·T²`.
public func fastWeightSumSavedCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
  -> Int
{
  b * t * (2 * c + 2 * nh) + b * nh * t * t
}

/// Views of the three tensors packed in the `saved` buffer (`fastWeightSumSavedCount`).
public struct FastWeightSumSaved {
  public let phi: UnsafeMutablePointer<Float>  // (B, T, 2C)
  public let invSums: UnsafeMutablePointer<Float>  // (B, T, 2H)
  public let att: UnsafeMutablePointer<Float>  // (B, H, T, T)

  public init(
    _ saved: UnsafeMutablePointer<Float>, batch b: Int, time t: Int, channels c: Int,
    heads nh: Int
  ) {
    phi = saved
    invSums = phi + b * t * 2 * c
    att = invSums + b * t * 2 * nh
  }
}

/// Sum-rule fast-weight attention in parallel form, per sequence and head: the O(T²)
/// reference the chunkwise training kernel (`chunkedLinearAttentionForward` with
/// `.fastWeightSum`) is tested against:
///
/// ```
/// A = lower(Q·Kᵀ)          diagonal included    (T, T)
/// Y = A·V                                       (T, hs)
/// ```
/// It equals the recurrence: `W_t = Σ_{s≤t} v_s k_sᵀ`, so `y_t = W_t q_t = Σ_{s≤t} (k_s·q_t) v_s`.
/// Unlike `linearAttentionForward` there is no denominator: φ is normalized per token instead,
/// exactly as for the delta rule, so the two fast-weight kinds differ in the update only.
///
/// - Parameters:
///   - out: (B, T, C), overwritten.
///   - saved: `fastWeightSumSavedCount(...)` floats, overwritten with what the backward reads.
///   - qkv: (B, T, 3C).
/// - Complexity: per head 2·T²·hs (Q·Kᵀ) + 2·T²·hs (A·V) FLOPs, so 4·B·T²·C in all: the masked
///   O(T²) form.
///
/// ### References
/// I. Schlag, K. Irie, J. Schmidhuber, "Linear Transformers Are Secretly Fast Weight
/// Programmers", ICML 2021, section 4.1 (the sum update rule).
public func fastWeightSumAttentionForward(
  out: UnsafeMutablePointer<Float>, saved: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, batch b: Int, time t: Int, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  let views = FastWeightSumSaved(saved, batch: b, time: t, channels: c, heads: nh)
  let (phi, invSums, att) = (views.phi, views.invSums, views.att)
  fillFeatures(
    .fastWeightSum, phi: phi, scalars: invSums, qkv: qkv, rows: b * t, channels: c, heads: nh)
  for bi in 0..<b {
    for h in 0..<nh {
      let phiQ = phi + bi * t * 2 * c + h * hs  // (T, hs), row stride 2C
      let phiK = phiQ + c
      let v = qkv + bi * t * 3 * c + 2 * c + h * hs  // (T, hs), row stride 3C
      let a = att + (bi * nh + h) * t * t  // (T, T)
      let y = out + bi * t * c + h * hs  // (T, hs), row stride C
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        1, phiQ, Int32(2 * c), phiK, Int32(2 * c), 0, a, Int32(t))
      for row in 0..<t { (a + row * t + row + 1).update(repeating: 0, count: t - row - 1) }
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, a, Int32(t), v, Int32(3 * c), 0, y, Int32(c))
    }
  }
}

/// Floats of scratch `fastWeightSumAttentionBackward` needs: one (T, T) and two (T, hs)
/// matrices, reused for every sequence and head.
public func fastWeightSumScratchCount(time t: Int, headSize hs: Int) -> Int {
  t * t + 2 * t * hs
}

/// Backward of `fastWeightSumAttentionForward`; adds into `dqkv` (B, T, 3C) given `dout`
/// (B, T, C), the forward's input `qkv` and its `saved` buffer. Per sequence and head:
///
/// ```
/// dA = lower(dY·Vᵀ)     dV += Aᵀ·dY     dφ(Q) = dA·K     dφ(K) = dAᵀ·Q
/// ```
/// then through `φ = p / Σp`, `p = elu(x) + 1`: `dx = (dφ − ⟨dφ, φ⟩)·(x > 0 ? 1/Σp : φ)`.
///
/// - Parameters:
///   - scratch: `fastWeightSumScratchCount(time:headSize:)` floats.
/// - Complexity: four `sgemm` of 2·T²·hs FLOPs per head: 8·B·T²·C in all.
public func fastWeightSumAttentionBackward(
  dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, saved: UnsafePointer<Float>,
  qkv: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, batch b: Int, time t: Int,
  channels c: Int, heads nh: Int
) {
  let hs = c / nh
  let views = FastWeightSumSaved(
    UnsafeMutablePointer(mutating: saved), batch: b, time: t, channels: c, heads: nh)
  let (phi, invSums, att) = (views.phi, views.invSums, views.att)
  let da = scratch  // (T, T)
  let dphiQ = da + t * t  // (T, hs)
  let dphiK = dphiQ + t * hs  // (T, hs)
  for bi in 0..<b {
    for h in 0..<nh {
      let phiQ = phi + bi * t * 2 * c + h * hs  // row stride 2C
      let phiK = phiQ + c
      let offset = bi * t * 3 * c + h * hs
      let v = qkv + offset + 2 * c  // row stride 3C
      let dv = dqkv + offset + 2 * c
      let a = att + (bi * nh + h) * t * t
      let dy = dout + bi * t * c + h * hs  // row stride C
      // dA = lower(dY·Vᵀ); dV += Aᵀ·dY.
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(hs),
        1, dy, Int32(c), v, Int32(3 * c), 0, da, Int32(t))
      for row in 0..<t { (da + row * t + row + 1).update(repeating: 0, count: t - row - 1) }
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, a, Int32(t), dy, Int32(c), 1, dv, Int32(3 * c))
      // dφ(Q) = dA·K, dφ(K) = dAᵀ·Q.
      cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, da, Int32(t), phiK, Int32(2 * c), 0, dphiQ, Int32(hs))
      cblas_sgemm(
        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(t), Int32(hs), Int32(t),
        1, da, Int32(t), phiQ, Int32(2 * c), 0, dphiK, Int32(hs))
      let sums = invSums + bi * t * 2 * nh + h  // row stride 2H
      for (part, dphi) in [(0, dphiQ), (1, dphiK)] {
        addThroughFeatureMap(
          .fastWeightSum, part: part, dx: dqkv + offset + part * c, dphi: dphi,
          x: qkv + offset + part * c, phi: phiQ + part * c, scalars: sums, rows: t, channels: c,
          heads: nh)
      }
    }
  }
}

/// Floats of state `fastWeightSumAttentionStep` carries for one sequence: W (H, hs, hs).
public func fastWeightSumStateCount(channels c: Int, heads nh: Int) -> Int {
  let hs = c / nh
  return nh * hs * hs
}

/// One step of sum-rule fast-weight attention as a recurrence, for generation at constant
/// cost per token. `state` holds W (H, hs, hs) row-major (`y = W·φ(q)`), zero at t = 0.
///
/// ```
/// W ← W + v φ(k)ᵀ,   y = W·φ(q)
/// ```
/// - Parameters:
///   - out: (C), overwritten.   qkv: (3C), one token's projections.
/// - Complexity: 4·C·hs FLOPs; 2·hs floats of stack space per head.
public func fastWeightSumAttentionStep(
  out: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
  qkv: UnsafePointer<Float>, channels c: Int, heads nh: Int
) {
  let hs = c / nh
  withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * hs) { buffer in
    guard let phiQ = buffer.baseAddress else { return }
    let phiK = phiQ + hs
    for h in 0..<nh {
      let w = state + h * hs * hs
      _ = normalizedEluPlusOne(phiQ, qkv + h * hs, hs)
      _ = normalizedEluPlusOne(phiK, qkv + c + h * hs, hs)
      let v = qkv + 2 * c + h * hs
      let y = out + h * hs
      for i in 0..<hs {
        let row = w + i * hs
        let write = v[i]
        for j in 0..<hs { row[j] += write * phiK[j] }
        y[i] = vectorDot(row, phiQ, hs)
      }
    }
  }
}

/// The sum rule as the step-by-step recurrence in Double, the slow obvious reference for
/// `fastWeightSumAttentionForward` and `fastWeightSumAttentionStep`:
///
/// ```
/// φ(x) = (elu(x) + 1) / Σ_j (elu(x_j) + 1)
/// W_0 = 0,   W_t = W_{t−1} + v_t φ(k_t)ᵀ,   y_t = W_t φ(q_t)
/// ```
/// - Parameters:
///   - qkv: (B, T, 3C).
/// - Returns: out (B, T, C).
public func fastWeightSumAttentionReference(
  qkv: [Double], batch b: Int, time t: Int, channels c: Int, heads nh: Int
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
        for i in 0..<hs {
          for j in 0..<hs { w[i][j] += v[i] * k[j] }
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
