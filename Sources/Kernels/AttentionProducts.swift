// The causal products of the fused attention kernels, one tile of 8 rows at a time, built from
// `AttentionTile`: the same loops serve the kernels and the floor that times them alone.

/// The keys the query rows `i0 ..< i0 + 8` of a tile see, and that count rounded up to whole
/// vectors: the products' extent along T.
@inline(__always)
func causalExtent(ofTileAt i0: Int) -> (visible: Int, length: Int) {
  let visible = i0 + attentionTileRows
  return (visible, (visible + vectorWidth - 1) / vectorWidth * vectorWidth)
}

/// One tile of rows against the columns of B, `length` of them (a multiple of the vector width):
///
/// ```
/// out[r, j] = scale · Σ_{d < depth} a[r·lda + d] · b[d·ldb + j]     r < 8, j < length
/// ```
/// Q·Kᵀ (a = the tile's query rows, b = Kᵀ) and dY·Vᵀ (b = Vᵀ), with `depth` the head size.
@inline(__always)
func tileRowsTimesColumns(
  _ a: UnsafePointer<Float>, lda: Int, depth: Int, _ b: UnsafePointer<Float>, ldb: Int,
  length: Int, into out: UnsafeMutablePointer<Float>, ldo: Int, scale: Float = 1
) {
  for j0 in stride(from: 0, to: length, by: vectorWidth) {
    var tile = AttentionTile()
    tile.accumulate(a: a, rowStride: lda, kStride: 1, b: b + j0, ldb: ldb, from: 0, to: depth)
    tile.store(out + j0, ldo: ldo, scale: scale)
  }
}

/// One tile of rows of a (T, T) matrix against the first `visible` rows of B, `width` columns
/// (the head size):
///
/// ```
/// out[r, c] (+)= Σ_{s < visible} a[r·lda + s] · b[s·ldb + c]        r < 8, c < width
/// ```
/// P·V (a = P's tile rows) and dS·K.
@inline(__always)
func tileRowsTimesRows(
  _ a: UnsafePointer<Float>, lda: Int, visible: Int, _ b: UnsafePointer<Float>, ldb: Int,
  width: Int, into out: UnsafeMutablePointer<Float>, ldo: Int, accumulate: Bool = false
) {
  for cv in stride(from: 0, to: width, by: vectorWidth) {
    var tile = AttentionTile()
    tile.accumulate(a: a, rowStride: lda, kStride: 1, b: b + cv, ldb: ldb, from: 0, to: visible)
    tile.store(out + cv, ldo: ldo, accumulate: accumulate)
  }
}

/// Key rows `s0 ..< s0 + 8` of a transposed product: a (T, T) matrix read down its columns
/// `s0 ..< s0 + 8`, over the rows that see them (`s0 ..< t`), against the same rows of B:
///
/// ```
/// out[r, c] (+)= Σ_{s0 ≤ i < t} a[i·lda + s0 + r] · b[i·ldb + c]     r < 8, c < width
/// ```
/// Pᵀ·dY (a = P, out = dV) and dSᵀ·Q (a = dS, out = dK).
@inline(__always)
func tileColumnsTimesRows(
  _ a: UnsafePointer<Float>, lda: Int, from s0: Int, to t: Int, _ b: UnsafePointer<Float>,
  ldb: Int, width: Int, into out: UnsafeMutablePointer<Float>, ldo: Int, accumulate: Bool
) {
  for cv in stride(from: 0, to: width, by: vectorWidth) {
    var tile = AttentionTile()
    tile.accumulate(a: a + s0, rowStride: 1, kStride: lda, b: b + cv, ldb: ldb, from: s0, to: t)
    tile.store(out + cv, ldo: ldo, accumulate: accumulate)
  }
}
