// Element-wise loops over one row (or a whole buffer) of Floats, one vector at a time with a
// scalar tail: the kernels' bias, residual and gradient passes share them.

/// `y[i] = a[i] + b[i]` over one row of n; `y` may be `a`.
@inline(__always)
func addRow(
  _ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  count n: Int
) {
  var i = 0
  while i + vectorWidth <= n {
    storeVector(loadVector(a + i) + loadVector(b + i), y + i)
    i += vectorWidth
  }
  while i < n {
    y[i] = a[i] + b[i]
    i += 1
  }
}

/// `y[i] = x[i]` over one row of n, as vector stores: a `memcpy` call costs more on the ~10⁴
/// short rows of a step.
@inline(__always)
func copyRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count n: Int) {
  var i = 0
  while i + vectorWidth <= n {
    storeVector(loadVector(x + i), y + i)
    i += vectorWidth
  }
  while i < n {
    y[i] = x[i]
    i += 1
  }
}

/// `out[i] = a[i] · b[i]` for i in 0..<n; `out` may be `a` or `b`.
@inline(__always)
func multiplyElementwise(
  out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  count n: Int
) {
  var i = 0
  while i + vectorWidth <= n {
    storeVector(loadVector(a + i) * loadVector(b + i), out + i)
    i += vectorWidth
  }
  while i < n {
    out[i] = a[i] * b[i]
    i += 1
  }
}
