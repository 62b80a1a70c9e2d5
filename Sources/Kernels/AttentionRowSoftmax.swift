// Row softmax of the fused attention kernels, forward and backward, with reductions as trees.

/// Sum of the 16 lanes of `v` in four halving steps (16 → 8 → 4 → 2 → 1): a dependency chain
/// of 4 additions, where `horizontalSum`'s lane-by-lane loop is 16 long.
@inline(__always)
func treeSum(_ v: FloatVector) -> Float {
  let h8 = v.lowHalf + v.highHalf
  let h4 = h8.lowHalf + h8.highHalf
  let h2 = h4.lowHalf + h4.highHalf
  return h2[0] + h2[1]
}

/// Largest of the 16 lanes of `v` in four halving steps.
@inline(__always)
func treeMax(_ v: FloatVector) -> Float {
  var h8 = v.lowHalf
  h8.replace(with: v.highHalf, where: v.highHalf .> h8)
  var h4 = h8.lowHalf
  h4.replace(with: h8.highHalf, where: h8.highHalf .> h4)
  var h2 = h4.lowHalf
  h2.replace(with: h4.highHalf, where: h4.highHalf .> h2)
  return max(h2[0], h2[1])
}

/// Lane indices 0 ..< 16 as floats, for masking the lanes at or past a row's diagonal.
@inline(__always)
var laneIndices: FloatVector {
  FloatVector(
    lowHalf: SIMD8(0, 1, 2, 3, 4, 5, 6, 7), highHalf: SIMD8(8, 9, 10, 11, 12, 13, 14, 15))
}

/// `x ← softmax(x)` over the first `valid` entries of a row, and 0 from there up to `length`
/// (a multiple of the vector width): `causalSoftmaxRow` with tree reductions. Lanes at or past
/// `valid` are −∞ for the maximum and 0 after the exponential.
@inline(__always)
func fusedCausalSoftmaxRow(_ x: UnsafeMutablePointer<Float>, valid n: Int, length: Int) {
  let end = (n + vectorWidth - 1) / vectorWidth * vectorWidth
  let last = end - vectorWidth  // the one vector that holds the diagonal
  let mask = laneIndices .>= Float(n - last)
  var maxima = FloatVector(repeating: -.infinity)
  var i = 0
  while i < last {
    let v = loadVector(x + i)
    maxima.replace(with: v, where: v .> maxima)
    i += vectorWidth
  }
  var diagonal = loadVector(x + last)
  diagonal.replace(with: -.infinity, where: mask)
  maxima.replace(with: diagonal, where: diagonal .> maxima)
  let m = FloatVector(repeating: treeMax(maxima))
  var sums = FloatVector()
  i = 0
  while i < last {
    let e = expVector(loadVector(x + i) - m)
    storeVector(e, x + i)
    sums += e
    i += vectorWidth
  }
  var e = expVector(diagonal - m)
  e.replace(with: 0, where: mask)
  sums += e
  let inv = FloatVector(repeating: 1 / treeSum(sums))
  storeVector(e * inv, x + last)
  i = 0
  while i < last {
    storeVector(loadVector(x + i) * inv, x + i)
    i += vectorWidth
  }
  clear(x + end, count: length - end)
}

/// `ds = p ⊙ (dp − Σ p ⊙ dp) · scale` in place over `dp`, over the first `valid` entries of a
/// row and 0 up to `length`: `softmaxRowBackward` in whole vectors with a tree reduction. P
/// is exactly 0 past the diagonal (the forward cleared it up to `length`), so the lanes there
/// come out 0 as long as `dp` there is finite (a tile product's output).
@inline(__always)
func fusedSoftmaxRowBackward(
  _ dp: UnsafeMutablePointer<Float>, probabilities p: UnsafePointer<Float>, valid n: Int,
  length: Int, scale: Float
) {
  let end = (n + vectorWidth - 1) / vectorWidth * vectorWidth
  var dots = FloatVector()
  var i = 0
  while i < end {
    dots.addProduct(loadVector(p + i), loadVector(dp + i))
    i += vectorWidth
  }
  let centre = FloatVector(repeating: treeSum(dots))
  let s = FloatVector(repeating: scale)
  i = 0
  while i < end {
    storeVector(loadVector(p + i) * (loadVector(dp + i) - centre) * s, dp + i)
    i += vectorWidth
  }
  clear(dp + end, count: length - end)
}
