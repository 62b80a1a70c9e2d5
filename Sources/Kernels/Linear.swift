import CBLAS
import Support

// Shapes: N = rows (B*T tokens), IC = input channels, OC = output channels.

/// Fully connected layer, as `torch.nn.Linear`: `out = inp · weightᵀ + bias (+ residual)`.
///
/// - Parameters:
///   - out: (N, OC), overwritten.
///   - inp: (N, IC).
///   - weight: (OC, IC), PyTorch's (out, in) layout.
///   - bias: (OC) or nil.
///   - residual: (N, OC) or nil; when given it is added to the output, which fuses a
///     residual connection into the layer (one pass over the output fewer).
/// - Complexity: 2·N·IC·OC FLOPs, one `sgemm`.
public func linearForward(
  out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  bias: UnsafePointer<Float>?, rows n: Int, inChannels ic: Int, outChannels oc: Int,
  residual: UnsafePointer<Float>? = nil
) {
  profiled(.elementwise) {  // the bias and residual copies; the product is charged to GEMM
    switch (bias, residual) {
    case (let bias?, let residual?):
      for r in 0..<n { addRow(out + r * oc, residual + r * oc, bias, count: oc) }
    case (let bias?, nil):
      for r in 0..<n { copyRow(out + r * oc, bias, count: oc) }
    case (nil, let residual?):
      out.update(from: residual, count: n * oc)
    case (nil, nil):
      break
    }
    let accumulate = bias != nil || residual != nil
    sgemm(
      transposeB: true, m: n, n: oc, k: ic, a: inp, lda: ic, b: weight, ldb: ic,
      beta: accumulate ? 1 : 0, c: out, ldc: oc)
  }
}

/// Backward of `linearForward`; adds into every gradient it is given.
///
/// ```
/// dinp    += dout · weight        (N, IC)
/// dweight += doutᵀ · inp          (OC, IC)
/// dbias   += Σ_rows dout          (OC)
/// ```
/// `dinp` may be nil when the input needs no gradient (the first layer of a frozen stack).
/// With `overwriteInput` it is written (`dinp = dout · weight`) instead of added to, which saves
/// clearing a scratch buffer first.
public func linearBackward(
  dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>,
  dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, rows n: Int, inChannels ic: Int, outChannels oc: Int,
  overwriteInput: Bool = false
) {
  profiled(.elementwise) {  // the bias-gradient sums; the products are charged to GEMM
    if let dinp {
      sgemm(
        m: n, n: ic, k: oc, a: dout, lda: oc, b: weight, ldb: ic,
        beta: overwriteInput ? 0 : 1, c: dinp, ldc: ic)
    }
    sgemm(
      transposeA: true, m: oc, n: ic, k: n, a: dout, lda: oc, b: inp, ldb: ic, beta: 1,
      c: dweight, ldc: ic)
    if let dbias { addColumnSums(of: dout, rows: n, columns: oc, into: dbias) }
  }
}

/// `acc[c] += Σ_r x[r, c]` over a row-major (rows, columns) matrix.
///
/// Four rows at a time into one vector of `acc` held in a register, added in row order, so the
/// result is the plain row-after-row loop's bit for bit with a quarter of its loads and stores
/// of `acc`.
@inline(__always)
public func addColumnSums(
  of x: UnsafePointer<Float>, rows: Int, columns: Int, into acc: UnsafeMutablePointer<Float>
) {
  let blockRows = 4
  var r = 0
  while r + blockRows <= rows {
    let (x0, x1, x2, x3) = (
      x + r * columns, x + (r + 1) * columns, x + (r + 2) * columns, x + (r + 3) * columns
    )
    var c = 0
    while c + vectorWidth <= columns {
      var sum = loadVector(acc + c) + loadVector(x0 + c)
      sum += loadVector(x1 + c)
      sum += loadVector(x2 + c)
      sum += loadVector(x3 + c)
      storeVector(sum, acc + c)
      c += vectorWidth
    }
    while c < columns {
      acc[c] = acc[c] + x0[c] + x1[c] + x2[c] + x3[c]
      c += 1
    }
    r += blockRows
  }
  while r < rows {
    addRow(acc, acc, x + r * columns, count: columns)
    r += 1
  }
}

/// Sets the number of OpenBLAS threads for this process.
public func setBLASThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

/// The kernels OpenBLAS loaded for this process (`openblas_get_corename`, e.g. "Haswell"):
/// `OPENBLAS_CORETYPE` when set, else OpenBLAS's pick for the CPU.
public var blasCoreName: String { String(cString: openblas_get_corename()) }
