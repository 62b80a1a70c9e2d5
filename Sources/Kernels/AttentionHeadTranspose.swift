// Transposes of one head's (T, hs) slice, in 8 × 8 blocks of AVX registers.

#if arch(x86_64)
  import _Builtin_intrinsics.intel
#endif

/// `into[d·rows + s] = m[s·ld + d]`: one head's (rows, columns) slice, transposed; rows and
/// columns multiples of 8. Each 8 × 8 block is eight row loads, the 24-shuffle transpose of
/// `transposeBlock`, and eight row stores. (Element by element, LLVM turned the strided reads
/// into AVX-512 gathers: a fifth of the forward.)
@inline(__always)
func transposeHead(
  _ m: UnsafePointer<Float>, ld: Int, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>
) {
  for s0 in stride(from: 0, to: rows, by: 8) {
    for d0 in stride(from: 0, to: columns, by: 8) {
      transposeBlock(m + s0 * ld + d0, ld: ld, into: out + d0 * rows + s0, ldo: rows)
    }
  }
}

/// `out[j·ldo + i] = m[i·ld + j]` for i, j in 0 ..< 8.
///
/// Three rounds of shuffles: interleave floats of row pairs, then pairs of floats (as doubles),
/// then swap 128-bit halves: the classic AVX 8 × 8 transpose.
@inline(__always)
func transposeBlock(
  _ m: UnsafePointer<Float>, ld: Int, into out: UnsafeMutablePointer<Float>, ldo: Int
) {
  typealias Row = SIMD8<Float>
  @inline(__always) func row(_ i: Int) -> Row {
    UnsafeRawPointer(m + i * ld).loadUnaligned(as: Row.self)
  }
  @inline(__always) func put(_ v: Row, _ j: Int) {
    UnsafeMutableRawPointer(out + j * ldo).storeBytes(of: v, as: Row.self)
  }
  #if arch(x86_64)
    @inline(__always) func pairsLow(_ a: Row, _ b: Row) -> Row {
      unsafeBitCast(
        _mm256_unpacklo_pd(
          unsafeBitCast(a, to: SIMD4<Double>.self), unsafeBitCast(b, to: SIMD4<Double>.self)),
        to: Row.self)
    }
    @inline(__always) func pairsHigh(_ a: Row, _ b: Row) -> Row {
      unsafeBitCast(
        _mm256_unpackhi_pd(
          unsafeBitCast(a, to: SIMD4<Double>.self), unsafeBitCast(b, to: SIMD4<Double>.self)),
        to: Row.self)
    }
    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
    let (r4, r5, r6, r7) = (row(4), row(5), row(6), row(7))
    let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1))
    let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3))
    let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5))
    let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7))
    // u0 = columns 0 and 4 of rows 0-3, u1 columns 1 and 5, u2 2 and 6, u3 3 and 7; u4-u7 rows 4-7.
    let (u0, u1, u2, u3) = (
      pairsLow(t0, t2), pairsHigh(t0, t2), pairsLow(t1, t3), pairsHigh(t1, t3)
    )
    let (u4, u5, u6, u7) = (
      pairsLow(t4, t6), pairsHigh(t4, t6), pairsLow(t5, t7), pairsHigh(t5, t7)
    )
    put(Row(lowHalf: u0.lowHalf, highHalf: u4.lowHalf), 0)
    put(Row(lowHalf: u1.lowHalf, highHalf: u5.lowHalf), 1)
    put(Row(lowHalf: u2.lowHalf, highHalf: u6.lowHalf), 2)
    put(Row(lowHalf: u3.lowHalf, highHalf: u7.lowHalf), 3)
    put(Row(lowHalf: u0.highHalf, highHalf: u4.highHalf), 4)
    put(Row(lowHalf: u1.highHalf, highHalf: u5.highHalf), 5)
    put(Row(lowHalf: u2.highHalf, highHalf: u6.highHalf), 6)
    put(Row(lowHalf: u3.highHalf, highHalf: u7.highHalf), 7)
  #else
    for i in 0..<8 { for j in 0..<8 { out[j * ldo + i] = m[i * ld + j] } }
  #endif
}
