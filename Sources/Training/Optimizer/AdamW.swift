import Config
import Kernels
import Models

/// AdamW: Adam with decoupled weight decay and bias correction, over one flat parameter buffer.
///
/// ```
/// g ← gradScale · g
/// m ← β₁·m + (1 − β₁)·g,          v ← β₂·v + (1 − β₂)·g²
/// m̂ = m / (1 − β₁ᵗ),              v̂ = v / (1 − β₂ᵗ)
/// θ ← θ − lr·(m̂ / (√v̂ + ε) + λ·θ)     (λ = 0 for vectors: norm weights, biases)
/// ```
/// computed as `θ·(1 − lr·λ) − (lr / (1 − β₁ᵗ))·m / (√(v / (1 − β₂ᵗ)) + ε)`, one division and
/// one square root per element: the update streams seven arrays and is bound by memory.
///
/// ### References
/// I. Loshchilov, F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
public final class AdamW {
  public var beta1: Float
  public var beta2: Float
  public var weightDecay: Float
  public var epsilon: Float = 1e-8
  /// First and second moments, laid out as the parameters.
  public let firstMoment: FlatTensors
  public let secondMoment: FlatTensors
  /// Updates taken so far (t in the bias correction).
  public var step = 0

  public init(layout: TensorLayout, beta1: Float, beta2: Float, weightDecay: Float) {
    self.beta1 = beta1
    self.beta2 = beta2
    self.weightDecay = weightDecay
    firstMoment = FlatTensors(layout: layout)
    secondMoment = FlatTensors(layout: layout)
  }

  /// Applies one update to `parameters` from `gradients` (scaled by `gradScale`, the clipping
  /// factor) with learning rate `lr`.
  ///
  /// - Parameters:
  ///   - rateScales: one factor per layout entry, entry k trains at `lr · rateScales[k]`
  ///     (discriminative learning rates, ``LayerGroups/rateScales(decay:)``); nil: all at `lr`.
  ///   - frozenBelow: entries starting before this float offset are frozen: neither they nor
  ///     their moments change.
  ///   - skippedUpdates: per layout entry, how many of the updates so far it sat out frozen;
  ///     its bias correction uses `t = step − skipped` (at least 1), its own count of updates,
  ///     as PyTorch's per-parameter state: a group unfrozen late takes full first steps.
  public func update(
    parameters: FlatTensors, gradients: FlatTensors, lr: Float, gradScale: Float = 1,
    rateScales: [Float]? = nil, frozenBelow: Int = 0, skippedUpdates: [Int]? = nil
  ) {
    step += 1
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    var corrections: (t: Int, first: Float, second: Float) = (0, 0, 0)
    for (k, entry) in parameters.layout.entries.enumerated() where entry.offset >= frozenBelow {
      let t = max(1, step - (skippedUpdates?[k] ?? 0))
      if t != corrections.t {
        corrections = (
          t, 1 - Float(Double(beta1).power(t)), 1 / (1 - Float(Double(beta2).power(t)))
        )
      }
      let secondScale = corrections.second
      let lr = lr * (rateScales?[k] ?? 1)
      let stepSize = lr / corrections.first
      let shrink = 1 - lr * (entry.isVector ? 0 : weightDecay)  // decoupled decay: θ·(1 − lr·λ)
      let p = parameters[entry.offset]
      let g = gradients[entry.offset]
      let m = firstMoment[entry.offset]
      let v = secondMoment[entry.offset]
      let count = entry.count
      var i = 0
      // Whole vectors: the update is bound by memory once the square root is one instruction.
      while i + vectorWidth <= count {
        let grad = loadVector(g + i) * gradScale
        let mi = b1 * loadVector(m + i) + (1 - b1) * grad
        let vi = b2 * loadVector(v + i) + (1 - b2) * grad * grad
        storeVector(mi, m + i)
        storeVector(vi, v + i)
        let pi = loadVector(p + i)
        storeVector(pi * shrink - stepSize * mi / (squareRootVector(vi * secondScale) + eps), p + i)
        i += vectorWidth
      }
      while i < count {
        let grad = g[i] * gradScale
        let mi = b1 * m[i] + (1 - b1) * grad
        let vi = b2 * v[i] + (1 - b2) * grad * grad
        m[i] = mi
        v[i] = vi
        p[i] = p[i] * shrink - stepSize * mi / ((vi * secondScale).squareRoot() + eps)
        i += 1
      }
    }
  }
}

extension Double {
  /// `self` raised to a non-negative integer power by repeated squaring.
  func power(_ n: Int) -> Double {
    var (result, base, e) = (1.0, self, n)
    while e > 0 {
      if e & 1 == 1 { result *= base }
      base *= base
      e >>= 1
    }
    return result
  }
}
