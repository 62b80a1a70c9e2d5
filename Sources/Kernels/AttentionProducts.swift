// The causal products of the fused attention kernels, one tile of 8 rows at a time, built from
// `AttentionTile`: the same loops serve the kernels and the floor that times them alone.

/// The keys the query rows `i0 ..< i0 + 8` of a tile see, and that count rounded up to whole
/// vectors: the products' extent along T.
@inline(__always)
func causalExtent(ofTileAt i0: Int) -> (visible: Int, length: Int) {
  let visible = i0 + attentionTileRows
  return (visible, (visible + vectorWidth - 1) / vectorWidth * vectorWidth)
}

/// One tile of rows of A times B, `columns` columns of it (a multiple of the vector width):
///
/// ```
/// out[r, j] (+)= scale · Σ_{k < depth} a[r·lda + k] · b[k·ldb + j]     r < 8, j < columns
/// ```
/// Q·Kᵀ and dY·Vᵀ (`depth` = hs, `columns` = the tile's causal length, b = Kᵀ or Vᵀ), and
/// P·V and dS·K (a = the tile's rows of P or dS, `depth` = the keys they see, `columns` = hs).
@inline(__always)
func tileRowsProduct(
  _ a: UnsafePointer<Float>, lda: Int, depth: Int, _ b: UnsafePointer<Float>, ldb: Int,
  columns: Int, into out: UnsafeMutablePointer<Float>, ldo: Int, scale: Float = 1,
  accumulate: Bool = false
) {
  for j0 in stride(from: 0, to: columns, by: vectorWidth) {
    var tile = AttentionTile()
    tile.accumulate(a: a, rowStride: lda, kStride: 1, b: b + j0, ldb: ldb, from: 0, to: depth)
    tile.store(out + j0, ldo: ldo, scale: scale, accumulate: accumulate)
  }
}

/// Key rows `s0 ..< s0 + 8` of a transposed product: a (T, T) matrix read down its columns
/// `s0 ..< s0 + 8`, over the rows that see them (`s0 ..< t`), against the same rows of B:
///
/// ```
/// out[r, j] (+)= Σ_{s0 ≤ i < t} a[i·lda + s0 + r] · b[i·ldb + j]     r < 8, j < columns
/// ```
/// Pᵀ·dY (a = P, out = dV) and dSᵀ·Q (a = dS, out = dK).
@inline(__always)
func tileColumnsProduct(
  _ a: UnsafePointer<Float>, lda: Int, from s0: Int, to t: Int, _ b: UnsafePointer<Float>,
  ldb: Int, columns: Int, into out: UnsafeMutablePointer<Float>, ldo: Int, accumulate: Bool
) {
  for cv in stride(from: 0, to: columns, by: vectorWidth) {
    var tile = AttentionTile()
    tile.accumulate(a: a + s0, rowStride: 1, kStride: lda, b: b + cv, ldb: ldb, from: s0, to: t)
    tile.store(out + cv, ldo: ldo, accumulate: accumulate)
  }
}
