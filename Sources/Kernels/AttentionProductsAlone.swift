// The attention part of a training step's floor: the fused kernel's six products, timed alone.

import Support

/// One layer's six causal products of fused softmax attention, timed alone:
///
/// ```
/// forward:   S = Q·Kᵀ,   Y = P·V           per 8-row tile of queries
/// backward:  dP = dY·Vᵀ, dQ = dS·K         per 8-row tile of queries
///            dV = Pᵀ·dY, dK = dSᵀ·Q        per 8-row tile of keys
/// ```
/// These are the loops of `fusedSoftmaxAttentionForward` and `fusedSoftmaxAttentionBackward`
/// (the same helpers of AttentionProducts.swift, for all B·H sequence-head pairs) with
/// everything else taken out: no row softmax, no transposes or packing, no reads of qkv, dout or
/// att. Every operand is one contiguous buffer per head, the same for every pair, so it stays in
/// L1 and L2. That is the products at the rate the register tile reaches on the design's own
/// shapes, as ``GEMMShape/secondsAlone(repeats:)`` times an sgemm shape on its own buffers: the
/// attention part of the step's floor (``StepFloor``), which the sgemm floor leaves out because
/// the fused kernel calls no sgemm.
public struct AttentionProductsAlone: Sendable {
  /// Best of the timed calls (forward and backward of one layer), wall and thread CPU.
  public var seconds: Double
  public var cpuSeconds: Double
  /// Mean thread CPU seconds of the timed calls.
  public var meanCPUSeconds: Double
  /// Multiply-adds × 2 of one call, as the causal loops do them (whole vectors past the
  /// diagonal included).
  public var flops: Double

  /// Times one warm-up and then `repeats` calls of the six products at shape (B, T, C, H).
  ///
  /// - Precondition: `fusedAttentionApplies(time: t, headSize: c / nh)`.
  public init(batch b: Int, time t: Int, channels c: Int, heads nh: Int, repeats: Int) {
    precondition(fusedAttentionApplies(time: t, headSize: c / nh))
    let hs = c / nh
    // Per head: Q, K, dY, V (T, hs), then Kᵀ, Vᵀ (hs, T), then P, dS (T, T), then the four
    // outputs Y, dQ, dV, dK (T, hs).
    let count = 10 * t * hs + 2 * t * t
    let memory = allocateFloats(count)
    defer { deallocateFloats(memory) }
    memory.initialize(repeating: 0.01, count: count)
    let (q, k, dy, v) = (memory, memory + t * hs, memory + 2 * t * hs, memory + 3 * t * hs)
    let (kt, vt) = (memory + 4 * t * hs, memory + 5 * t * hs)
    let (p, ds) = (memory + 6 * t * hs, memory + 6 * t * hs + t * t)
    let y = memory + 6 * t * hs + 2 * t * t
    let (dq, dv, dk) = (y + t * hs, y + 2 * t * hs, y + 3 * t * hs)

    func layer() {
      for _ in 0..<(b * nh) {
        for i0 in stride(from: 0, to: t, by: attentionTileRows) {
          let (visible, length) = causalExtent(ofTileAt: i0)
          tileRowsProduct(
            q + i0 * hs, lda: hs, depth: hs, kt, ldb: t, columns: length, into: p + i0 * t, ldo: t)
          tileRowsProduct(
            p + i0 * t, lda: t, depth: visible, v, ldb: hs, columns: hs, into: y + i0 * hs,
            ldo: hs)
        }
        for i0 in stride(from: 0, to: t, by: attentionTileRows) {
          let (visible, length) = causalExtent(ofTileAt: i0)
          tileRowsProduct(
            dy + i0 * hs, lda: hs, depth: hs, vt, ldb: t, columns: length, into: ds + i0 * t,
            ldo: t)
          tileRowsProduct(
            ds + i0 * t, lda: t, depth: visible, k, ldb: hs, columns: hs, into: dq + i0 * hs,
            ldo: hs)
        }
        for s0 in stride(from: 0, to: t, by: attentionTileRows) {
          tileColumnsProduct(
            p, lda: t, from: s0, to: t, dy, ldb: hs, columns: hs, into: dv + s0 * hs, ldo: hs,
            accumulate: false)
          tileColumnsProduct(
            ds, lda: t, from: s0, to: t, q, ldb: hs, columns: hs, into: dk + s0 * hs, ldo: hs,
            accumulate: false)
        }
      }
    }

    var (best, bestCPU, totalCPU) = (Double.infinity, Double.infinity, 0.0)
    for i in 0...max(repeats, 1) {
      let (start, cpuStart) = (monotonicSeconds(), threadCPUSeconds())
      layer()
      let (elapsed, cpu) = (monotonicSeconds() - start, threadCPUSeconds() - cpuStart)
      if i > 0 {
        (best, bestCPU, totalCPU) = (min(best, elapsed), min(bestCPU, cpu), totalCPU + cpu)
      }
    }
    (seconds, cpuSeconds) = (best, bestCPU)
    meanCPUSeconds = totalCPU / Double(max(repeats, 1))
    flops = Double(b * nh) * Self.multiplyAddsPerHead(time: t, headSize: hs) * 2
  }

  /// Multiply-adds of the six products for one (sequence, head): per query tile 8·length·hs
  /// for each of Q·Kᵀ and dY·Vᵀ and 8·visible·hs for each of P·V and dS·K; per key tile
  /// 8·(T − s0)·hs for each of Pᵀ·dY and dSᵀ·Q.
  public static func multiplyAddsPerHead(time t: Int, headSize hs: Int) -> Double {
    var total = 0
    for i0 in stride(from: 0, to: t, by: attentionTileRows) {
      let (visible, length) = causalExtent(ofTileAt: i0)
      total += 2 * attentionTileRows * (length + visible) * hs
      total += 2 * attentionTileRows * (t - i0) * hs
    }
    return Double(total)
  }
}
