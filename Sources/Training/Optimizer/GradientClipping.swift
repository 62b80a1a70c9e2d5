import Config
import Kernels
import Models

/// The global L2 norm of all gradients, `‖g‖₂ = √(Σ g²)`, accumulated in Double.
public func gradientNorm(_ gradients: FlatTensors) -> Double {
  var total: Double = 0
  let chunk = 4096
  var start = 0
  while start < gradients.count {
    let n = min(chunk, gradients.count - start)
    let p = gradients.pointer + start
    total += Double(vectorDot(p, p, n))
    start += n
  }
  return total.squareRoot()
}

/// The factor that scales gradients of norm `norm` down to at most `maxNorm`
/// (1 when `maxNorm` is 0, which turns clipping off, or the norm is already small).
public func clippingScale(norm: Double, maxNorm: Double) -> Float {
  guard maxNorm > 0, norm > maxNorm else { return 1 }
  return Float(maxNorm / (norm + 1e-6))
}
