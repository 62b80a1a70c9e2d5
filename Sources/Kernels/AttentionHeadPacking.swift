// Contiguous copies of one head's (T, hs) slice of qkv (row stride 3C) or dout (row stride C).

/// `into[s·columns + d] = m[s·ld + d]`: one head's (rows, columns) slice with its rows made
/// contiguous; `columns` a multiple of the vector width.
///
/// Read down all T rows in place, a head's rows are 3C floats apart (12 KiB at C = 1024, 3 KiB
/// at C = 256): multiples of 1 KiB fall into a quarter or less of the L1 sets, so a (128, 32)
/// head evicts itself. Packed, it is 16 KiB of consecutive lines. At the bench shape the
/// backward's three copies cost 0.1 ms per call and save about 0.4 (`ddp bench attention`).
@inline(__always)
func packHead(
  _ m: UnsafePointer<Float>, ld: Int, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>
) {
  for s in 0..<rows {
    var d = 0
    while d < columns {
      storeVector(loadVector(m + s * ld + d), out + s * columns + d)
      d += vectorWidth
    }
  }
}
