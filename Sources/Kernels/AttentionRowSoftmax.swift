// Row softmax of the fused attention kernels, forward and backward, with reductions as trees.

/// Lane indices 0 ..< 16 as floats, for masking the lanes at or past a row's diagonal.
@inline(__always)
var laneIndices: FloatVector {
  FloatVector(
    lowHalf: SIMD8(0, 1, 2, 3, 4, 5, 6, 7), highHalf: SIMD8(8, 9, 10, 11, 12, 13, 14, 15))
}

/// `x ← softmax(x)` over the first `valid` entries of a row and `y ← softmax(y)` over the first
/// `valid + 1` of the next (`y = x + ld`), each 0 from there up to `length` (a multiple of the
/// vector width): `causalSoftmaxRow` twice, interleaved, with tree reductions. Two rows of one
/// 8-row tile end in the same vector, so their passes run side by side: two independent chains
/// of maxima, exponentials and sums where one row alone waits on its own (18% less time than
/// row by row at the bench shape, measured alone). Lanes at or past a row's `valid` are −∞
/// for the maximum and 0 after the exponential.
///
/// - Precondition: `valid` and `valid + 1` round up to the same multiple of the vector width
///   (rows `i0 + 2j` and `i0 + 2j + 1` of a tile starting at a multiple of 8).
@inline(__always)
func fusedCausalSoftmaxRowPair(
  _ x: UnsafeMutablePointer<Float>, ld: Int, valid n: Int, length: Int
) {
  let y = x + ld
  let end = (n + 1 + vectorWidth - 1) / vectorWidth * vectorWidth
  let last = end - vectorWidth  // the one vector that holds both diagonals
  let (maskX, maskY) = (laneIndices .>= Float(n - last), laneIndices .>= Float(n + 1 - last))
  var (maxX, maxY) = (FloatVector(repeating: -.infinity), FloatVector(repeating: -.infinity))
  var i = 0
  while i < last {
    let (u, v) = (loadVector(x + i), loadVector(y + i))
    maxX.replace(with: u, where: u .> maxX)
    maxY.replace(with: v, where: v .> maxY)
    i += vectorWidth
  }
  var (diagonalX, diagonalY) = (loadVector(x + last), loadVector(y + last))
  diagonalX.replace(with: -.infinity, where: maskX)
  diagonalY.replace(with: -.infinity, where: maskY)
  maxX.replace(with: diagonalX, where: diagonalX .> maxX)
  maxY.replace(with: diagonalY, where: diagonalY .> maxY)
  let (mX, mY) = (FloatVector(repeating: treeMax(maxX)), FloatVector(repeating: treeMax(maxY)))
  var (sumX, sumY) = (FloatVector(), FloatVector())
  i = 0
  while i < last {
    let (eX, eY) = (expVector(loadVector(x + i) - mX), expVector(loadVector(y + i) - mY))
    storeVector(eX, x + i)
    storeVector(eY, y + i)
    sumX += eX
    sumY += eY
    i += vectorWidth
  }
  var (eX, eY) = (expVector(diagonalX - mX), expVector(diagonalY - mY))
  eX.replace(with: 0, where: maskX)
  eY.replace(with: 0, where: maskY)
  sumX += eX
  sumY += eY
  let invX = FloatVector(repeating: 1 / treeSum(sumX))
  let invY = FloatVector(repeating: 1 / treeSum(sumY))
  storeVector(eX * invX, x + last)
  storeVector(eY * invY, y + last)
  i = 0
  while i < last {
    storeVector(loadVector(x + i) * invX, x + i)
    storeVector(loadVector(y + i) * invY, y + i)
    i += vectorWidth
  }
  clear(x + end, count: length - end)
  clear(y + end, count: length - end)
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
