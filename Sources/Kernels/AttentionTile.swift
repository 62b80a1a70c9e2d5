// The register tile of the fused attention kernels: 8 rows by one vector (16) of columns.

/// Rows of an `AttentionTile`.
let attentionTileRows = 8

/// Eight accumulator vectors: out rows r0 ..< r0 + 8, one vector of 16 columns.
///
/// ```
/// acc[r] = Σ_k a(r, k) · b[k, 0 ..< 16]     for r in 0 ..< 8, k in k0 ..< k1
/// ```
/// `a(r, k)` is read at `a + r·rowStride + k·kStride`, so the same loop computes A·B
/// (`rowStride = lda, kStride = 1`) and Aᵀ·B (`rowStride = 1, kStride = lda`). Each k costs one
/// vector load of B and eight broadcast fused multiply-adds: no packing, no call, no clearing.
struct AttentionTile {
  var a0 = FloatVector(), a1 = FloatVector(), a2 = FloatVector(), a3 = FloatVector()
  var a4 = FloatVector(), a5 = FloatVector(), a6 = FloatVector(), a7 = FloatVector()

  /// Adds `Σ_k a(r, k) · b[k]` for k in `k0 ..< k1`; `b` points at row 0 of B, rows `ldb` apart.
  @inline(__always)
  mutating func accumulate(
    a: UnsafePointer<Float>, rowStride rs: Int, kStride ks: Int,
    b: UnsafePointer<Float>, ldb: Int, from k0: Int, to k1: Int
  ) {
    var k = k0
    while k < k1 {
      let bv = loadVector(b + k * ldb)
      let ak = a + k * ks
      a0.addProduct(FloatVector(repeating: ak[0]), bv)
      a1.addProduct(FloatVector(repeating: ak[rs]), bv)
      a2.addProduct(FloatVector(repeating: ak[2 * rs]), bv)
      a3.addProduct(FloatVector(repeating: ak[3 * rs]), bv)
      a4.addProduct(FloatVector(repeating: ak[4 * rs]), bv)
      a5.addProduct(FloatVector(repeating: ak[5 * rs]), bv)
      a6.addProduct(FloatVector(repeating: ak[6 * rs]), bv)
      a7.addProduct(FloatVector(repeating: ak[7 * rs]), bv)
      k += 1
    }
  }

  /// Writes `scale · acc[r]` to `out + r·ldo`, or adds it there with `accumulate`.
  @inline(__always)
  func store(
    _ out: UnsafeMutablePointer<Float>, ldo: Int, scale: Float = 1, accumulate: Bool = false
  ) {
    let s = FloatVector(repeating: scale)
    @inline(__always) func put(_ v: FloatVector, _ r: Int) {
      let p = out + r * ldo
      storeVector(accumulate ? fusedMultiplyAdd(v, s, loadVector(p)) : v * s, p)
    }
    put(a0, 0)
    put(a1, 1)
    put(a2, 2)
    put(a3, 3)
    put(a4, 4)
    put(a5, 5)
    put(a6, 6)
    put(a7, 7)
  }
}
