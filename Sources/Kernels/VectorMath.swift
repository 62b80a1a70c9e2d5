/// Vectorized building blocks for the elementwise kernels: loads and stores of a vector of
/// floats, horizontal sums, and `exp` / `tanh` accurate to a few ulp without calling libm per
/// element.
///
/// Vectors are 16 floats: one AVX-512 register where the build targets it (Package.swift builds
/// the numeric modules for the build machine's CPU), two AVX2 registers otherwise.

#if arch(x86_64)
  import _Builtin_intrinsics.intel
#endif

public typealias FloatVector = SIMD16<Float>
public typealias IntVector = SIMD16<Int32>

/// Lanes per `FloatVector`.
public let vectorWidth = FloatVector.scalarCount

@inline(__always)
public func loadVector(_ p: UnsafePointer<Float>) -> FloatVector {
  UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self)
}

@inline(__always)
public func storeVector(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatVector.self)
}

/// `Σ p[i]` for i in 0..<n, with one partial sum per lane.
@inline(__always)
public func vectorSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
  var acc = FloatVector()
  var i = 0
  while i + vectorWidth <= n {
    acc += loadVector(p + i)
    i += vectorWidth
  }
  var s = acc.sum()
  while i < n {
    s += p[i]
    i += 1
  }
  return s
}

/// `Σ x[i]` over one row of c, in two vector accumulators (two dependency chains of adds
/// instead of one: a row of 256 is latency-bound) summed as a tree: `vectorSum` for the norms'
/// rows, faster there and rounding differently by a few ulp.
@inline(__always)
func rowSum(_ x: UnsafePointer<Float>, _ c: Int) -> Float {
  var (a, b) = (FloatVector(), FloatVector())
  var i = 0
  while i + 2 * vectorWidth <= c {
    a += loadVector(x + i)
    b += loadVector(x + i + vectorWidth)
    i += 2 * vectorWidth
  }
  if i + vectorWidth <= c {
    a += loadVector(x + i)
    i += vectorWidth
  }
  var sum = treeSum(a + b)
  while i < c {
    sum += x[i]
    i += 1
  }
  return sum
}

/// `Σ (x[i] − m)²` over one row of c, accumulated as `rowSum` (RMSNorm's Σx² with m = 0).
@inline(__always)
func rowSquaredDeviationSum(_ x: UnsafePointer<Float>, _ m: Float, _ c: Int) -> Float {
  var (a, b) = (FloatVector(), FloatVector())
  var i = 0
  while i + 2 * vectorWidth <= c {
    let (d, e) = (loadVector(x + i) - m, loadVector(x + i + vectorWidth) - m)
    a += d * d
    b += e * e
    i += 2 * vectorWidth
  }
  if i + vectorWidth <= c {
    let d = loadVector(x + i) - m
    a += d * d
    i += vectorWidth
  }
  var sum = treeSum(a + b)
  while i < c {
    sum += (x[i] - m) * (x[i] - m)
    i += 1
  }
  return sum
}

/// Sum of the lanes of `v`, written out so it inlines (the generic `sum()` may not).
@inline(__always)
public func horizontalSum(_ v: FloatVector) -> Float {
  var s: Float = 0
  for i in 0..<vectorWidth { s += v[i] }
  return s
}

/// Sum of the lanes of `v` as a tree, halves added to halves: 4 dependent vector adds where a
/// lane-by-lane walk has 15 dependent scalar ones (the walk is `horizontalSum`; the two round
/// differently, by a few ulp of the sum).
@inline(__always)
public func treeSum(_ v: FloatVector) -> Float {
  let eight = v.lowHalf + v.highHalf
  let four = eight.lowHalf + eight.highHalf
  let two = four.lowHalf + four.highHalf
  return two[0] + two[1]
}

/// Largest of the 16 lanes of `v` in four halving steps.
@inline(__always)
public func treeMax(_ v: FloatVector) -> Float {
  var h8 = v.lowHalf
  h8.replace(with: v.highHalf, where: v.highHalf .> h8)
  var h4 = h8.lowHalf
  h4.replace(with: h8.highHalf, where: h8.highHalf .> h4)
  var h2 = h4.lowHalf
  h2.replace(with: h4.highHalf, where: h4.highHalf .> h2)
  return max(h2[0], h2[1])
}

/// Largest lane of `v`.
@inline(__always)
public func horizontalMax(_ v: FloatVector) -> Float {
  var m = v[0]
  for i in 1..<vectorWidth { m = max(m, v[i]) }
  return m
}

/// `Σ a[i]·b[i]` for i in 0..<n, with one partial sum per lane.
@inline(__always)
public func vectorDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
  var acc = FloatVector()
  var i = 0
  while i + vectorWidth <= n {
    acc.addProduct(loadVector(a + i), loadVector(b + i))
    i += vectorWidth
  }
  var s = acc.sum()
  while i < n {
    s += a[i] * b[i]
    i += 1
  }
  return s
}

/// `max_i p[i]` for n ≥ 1.
@inline(__always)
public func vectorMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
  var acc = FloatVector(repeating: -.infinity)
  var i = 0
  while i + vectorWidth <= n {
    let v = loadVector(p + i)
    acc.replace(with: v, where: v .> acc)
    i += vectorWidth
  }
  var m = acc.max()
  while i < n {
    m = max(m, p[i])
    i += 1
  }
  return m
}

/// `eˣ` per lane: Cody–Waite range reduction `x = n·ln2 + r`, |r| ≤ ln2/2, then Cephes'
/// degree-6 polynomial for `eʳ`, scaled by `2ⁿ` through the exponent bits. Relative error
/// below 2e-7 on [-87, 88]; inputs are clamped there, so it never returns inf or a subnormal.
///
/// Written with operators and `replace(with:where:)` only: the standard library's generic
/// `rounded(_:)`, `clamped` and Float→Int32 lane conversions are not inlined and cost 10×.
/// Rounding uses the 1.5·2²³ trick: adding it leaves round-to-nearest-even(x·log2 e) in the low
/// mantissa bits, which also gives n as an integer without a conversion.
///
/// ### References
/// S. L. Moshier, Cephes Math Library, `expf.c`.
@_transparent
public func expVector(_ x: FloatVector) -> FloatVector {
  var x = x
  x.replace(with: FloatVector(repeating: -87.3), where: x .< -87.3)
  x.replace(with: FloatVector(repeating: 88.3), where: x .> 88.3)
  return expVectorInRange(x)
}

/// `expVector` without its clamps, for x already in [-87.3, 88.3] (NaN stays NaN): equal to it
/// there, two instructions fewer. The GELU clamps its own input, which bounds its exponent.
@_transparent
public func expVectorInRange(_ x: FloatVector) -> FloatVector {
  let magic = FloatVector(repeating: 12_582_912)  // 1.5·2²³
  let shifted = fusedMultiplyAdd(x, FloatVector(repeating: 1.442_695_04), magic)
  let n = shifted - magic
  var r = fusedMultiplyAdd(n, FloatVector(repeating: -0.693_359_375), x)
  r = fusedMultiplyAdd(n, FloatVector(repeating: 2.121_944_4e-4), r)
  var p = FloatVector(repeating: 1.987_569_15e-4)
  p = fusedMultiplyAdd(p, r, FloatVector(repeating: 1.398_199_95e-3))
  p = fusedMultiplyAdd(p, r, FloatVector(repeating: 8.333_451_9e-3))
  p = fusedMultiplyAdd(p, r, FloatVector(repeating: 4.166_579_59e-2))
  p = fusedMultiplyAdd(p, r, FloatVector(repeating: 1.666_666_55e-1))
  p = fusedMultiplyAdd(p, r, FloatVector(repeating: 5.000_000_12e-1))
  let er = fusedMultiplyAdd(p, r * r, r + 1)
  let exponent = unsafeBitCast(shifted, to: IntVector.self) &- 0x4B40_0000
  return er * unsafeBitCast((exponent &+ 127) &<< 23, to: FloatVector.self)
}

/// `a·b + c` per lane with one rounding (`vfmadd`). Swift does not contract `a * b + c` into a
/// fused multiply-add on its own; the exponential's polynomial is a chain of them.
@_transparent
public func fusedMultiplyAdd(_ a: FloatVector, _ b: FloatVector, _ c: FloatVector) -> FloatVector {
  c.addingProduct(a, b)
}

/// `tanh(x)` per lane as `sign(x)·(1 − 2 / (e²|ˣ| + 1))`; absolute error below 3e-7, exactly
/// ±1 once saturated. Working on |x| keeps the reciprocal's argument at or above 2, where its
/// small relative error vanishes as tanh saturates.
@_transparent
public func tanhVector(_ x: FloatVector) -> FloatVector {
  let signBit: UInt32 = 0x8000_0000
  let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
  let magnitude = unsafeBitCast(bits & ~signBit, to: FloatVector.self)
  let t = 1 - 2 * reciprocalVector(expVector(2 * magnitude) + 1)
  let signed = unsafeBitCast(t, to: SIMD16<UInt32>.self) | (bits & signBit)
  return unsafeBitCast(signed, to: FloatVector.self)
}

/// `1 / d` per lane for d ≥ 1 (finite): the hardware estimate (relative error ≤ 1.5·2⁻¹²)
/// refined by one Newton step, `r ← r·(2 − d·r)`, to a relative error near 2⁻²³. A division
/// waits ~4× longer; it was the bottleneck of the GELU forward.
@_transparent
public func reciprocalVector(_ d: FloatVector) -> FloatVector {
  #if arch(x86_64)
    let r = FloatVector(lowHalf: _mm256_rcp_ps(d.lowHalf), highHalf: _mm256_rcp_ps(d.highHalf))
    return r * (2 - d * r)
  #else
    return 1 / d
  #endif
}

/// `√x` per lane, correctly rounded (`vsqrtps`). The standard library's `SIMD.squareRoot()`
/// is a loop over lanes that LLVM leaves scalar; that made AdamW 2.7× slower than its memory
/// traffic allows.
@_transparent
public func squareRootVector(_ x: FloatVector) -> FloatVector {
  #if arch(x86_64)
    FloatVector(lowHalf: _mm256_sqrt_ps(x.lowHalf), highHalf: _mm256_sqrt_ps(x.highHalf))
  #else
    x.squareRoot()
  #endif
}

/// Scalar `eˣ` through the same polynomial, so vector and tail lanes agree.
@inline(__always)
public func fastExp(_ x: Float) -> Float { expVector(FloatVector(repeating: x))[0] }

/// Scalar `tanh` through the same polynomial.
@inline(__always)
public func fastTanh(_ x: Float) -> Float { tanhVector(FloatVector(repeating: x))[0] }

/// `p[0 ..< n] = 0` as a plain vector loop: for the short row tails of attention, where a
/// `memset` call costs more than the stores.
@inline(__always)
public func clear(_ p: UnsafeMutablePointer<Float>, count n: Int) {
  var i = 0
  while i + vectorWidth <= n {
    storeVector(FloatVector(), p + i)
    i += vectorWidth
  }
  while i < n {
    p[i] = 0
    i += 1
  }
}
