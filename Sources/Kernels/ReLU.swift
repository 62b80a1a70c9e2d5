/// Rectified linear unit in place: `x ← max(x, 0)` over `count` entries.
public func reluForward(_ x: UnsafeMutablePointer<Float>, count: Int) {
  for i in 0..<count where x[i] < 0 { x[i] = 0 }
}

/// Backward of ``reluForward`` from its output `out`: `dx ← dout · [out > 0]`, in place over
/// `dout` (the subgradient at 0 is 0).
public func reluBackward(
  _ dout: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>, count: Int
) {
  for i in 0..<count where out[i] <= 0 { dout[i] = 0 }
}
