// Shapes: N = rows (B·T), C = channels.

/// Backward of `rmsNormForward`, adding into `dinp` and `dweight`:
///
/// ```
/// x̂ = x · rstd,  g = dout · weight
/// dinp    += rstd · (g − x̂ · mean(g · x̂))  =  rstd · g − x · k,   k = rstd³ · Σ(g · x) / C
/// dweight += Σ_rows dout · x̂
/// ```
/// Two passes over each row: Σ g·x with the `dweight` update (`rmsNormRowSum`), then `dinp` as
/// two fused multiply-adds per vector (`rmsNormInputGradient`). Up to
/// `normBackwardPipelineChannels` the passes are pipelined as in `layerNormBackward`: one loop
/// does the first pass of row r and the second of row r − 1 (`rmsNormPipelinedRows`). Both
/// orders give the same floats.
///
/// - Complexity: O(N·C).
public func rmsNormBackward(
  dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  rstd: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  let invC = 1 / Float(c)
  guard n > 0 else { return }
  guard c <= normBackwardPipelineChannels else {
    rmsNormBackwardRowByRow(
      dinp: dinp, dweight: dweight, dout: dout, inp: inp, weight: weight, rstd: rstd, rows: n,
      channels: c)
    return
  }
  var s = rstd[0]
  var gxSum = rmsNormRowSum(dweight: dweight, dout: dout, inp: inp, weight: weight, rstd: s, c)
  for r in 1..<n {
    let previous = r - 1
    let next = rstd[r]
    gxSum = rmsNormPipelinedRows(
      dweight: dweight, dout: dout + r * c, inp: inp + r * c, rstd: next,
      dinp: dinp + previous * c, previousDout: dout + previous * c,
      previousInp: inp + previous * c, previousRstd: s, k: s * s * s * gxSum * invC,
      weight: weight, c)
    s = next
  }
  let last = (n - 1) * c
  rmsNormInputGradient(
    dinp: dinp + last, dout: dout + last, inp: inp + last, weight: weight, rstd: s,
    k: s * s * s * gxSum * invC, c)
}

/// The first pass over one row (C): returns Σ g·x and adds the row's terms to `dweight`.
@inline(__always)
func rmsNormRowSum(
  dweight: UnsafeMutablePointer<Float>, dout dy: UnsafePointer<Float>, inp x: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, rstd s: Float, _ c: Int
) -> Float {
  let vectorEnd = c - c % vectorWidth
  var acc = FloatVector()
  for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
    rmsNormSumTerms(&acc, dweight, dy, x, loadVector(weight + i), s, i)
  }
  return rmsNormSumTail(treeSum(acc), dweight, dy, x, weight, s, vectorEnd, c)
}

/// The second pass over one row (C), `dinp += rstd · g − x · k`.
@inline(__always)
func rmsNormInputGradient(
  dinp dx: UnsafeMutablePointer<Float>, dout dy: UnsafePointer<Float>, inp x: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, rstd s: Float, k: Float, _ c: Int
) {
  let vectorEnd = c - c % vectorWidth
  let (sv, minusK) = (FloatVector(repeating: s), FloatVector(repeating: -k))
  for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
    rmsNormInputTerms(dx, dy, x, loadVector(weight + i), sv, minusK, i)
  }
  rmsNormInputTail(dx, dy, x, weight, s, k, vectorEnd, c)
}

/// The first pass of one row (`dout`, `inp`, `rstd`) and the second of the row before it
/// (`previous…`, whose k is known) in one loop, each vector of `weight` loaded once for both;
/// returns the row's Σ g·x. The two rows' x and dout (2·2·C floats) stay in L1 between the
/// loop that reads them first and the one that reads them again.
@inline(__always)
func rmsNormPipelinedRows(
  dweight: UnsafeMutablePointer<Float>, dout dy: UnsafePointer<Float>, inp x: UnsafePointer<Float>,
  rstd s: Float, dinp dx: UnsafeMutablePointer<Float>, previousDout: UnsafePointer<Float>,
  previousInp: UnsafePointer<Float>, previousRstd: Float, k: Float,
  weight: UnsafePointer<Float>, _ c: Int
) -> Float {
  let vectorEnd = c - c % vectorWidth
  let (sv, minusK) = (FloatVector(repeating: previousRstd), FloatVector(repeating: -k))
  var acc = FloatVector()
  for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
    let w = loadVector(weight + i)
    rmsNormSumTerms(&acc, dweight, dy, x, w, s, i)
    rmsNormInputTerms(dx, previousDout, previousInp, w, sv, minusK, i)
  }
  rmsNormInputTail(dx, previousDout, previousInp, weight, previousRstd, k, vectorEnd, c)
  return rmsNormSumTail(treeSum(acc), dweight, dy, x, weight, s, vectorEnd, c)
}

/// One vector of the first pass: `acc += g · x`, `dweight += dout · x · rstd`.
@inline(__always)
func rmsNormSumTerms(
  _ acc: inout FloatVector, _ dweight: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>,
  _ x: UnsafePointer<Float>, _ w: FloatVector, _ s: Float, _ i: Int
) {
  let xv = loadVector(x + i)
  let d = loadVector(dy + i)
  acc.addProduct(d * w, xv)
  storeVector(loadVector(dweight + i).addingProduct(d, xv * s), dweight + i)
}

/// The scalar tail of the first pass, elements `from ..< c`, continuing `sum`.
@inline(__always)
func rmsNormSumTail(
  _ sum: Float, _ dweight: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>,
  _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ s: Float, _ from: Int, _ c: Int
) -> Float {
  var sum = sum
  for i in from..<c {
    sum += dy[i] * weight[i] * x[i]
    dweight[i] += dy[i] * x[i] * s
  }
  return sum
}

/// One vector of the second pass: `dinp += rstd · g − x · k`.
@inline(__always)
func rmsNormInputTerms(
  _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
  _ w: FloatVector, _ sv: FloatVector, _ minusK: FloatVector, _ i: Int
) {
  let g = loadVector(dy + i) * w
  storeVector(
    loadVector(dx + i).addingProduct(g, sv).addingProduct(loadVector(x + i), minusK), dx + i)
}

/// The scalar tail of the second pass, elements `from ..< c`.
@inline(__always)
func rmsNormInputTail(
  _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
  _ weight: UnsafePointer<Float>, _ s: Float, _ k: Float, _ from: Int, _ c: Int
) {
  for i in from..<c { dx[i] += s * dy[i] * weight[i] - x[i] * k }
}

/// `rmsNormBackward` one row at a time, first pass then second pass of each row: for rows
/// wider than `normBackwardPipelineChannels`. The loops as they were before the pipelining.
func rmsNormBackwardRowByRow(
  dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  rstd: UnsafePointer<Float>, rows n: Int, channels c: Int
) {
  let invC = 1 / Float(c)
  let vectorEnd = c - c % vectorWidth
  for r in 0..<n {
    let x = inp + r * c  // (C)
    let dy = dout + r * c  // (C)
    let dx = dinp + r * c  // (C)
    let s = rstd[r]
    var gxAcc = FloatVector()
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      let xv = loadVector(x + i)
      let d = loadVector(dy + i)
      gxAcc.addProduct(d * loadVector(weight + i), xv)
      storeVector(loadVector(dweight + i).addingProduct(d, xv * s), dweight + i)
    }
    var gxSum = treeSum(gxAcc)
    for i in vectorEnd..<c {
      gxSum += dy[i] * weight[i] * x[i]
      dweight[i] += dy[i] * x[i] * s
    }
    let k = s * s * s * gxSum * invC
    let sv = FloatVector(repeating: s)
    let minusK = FloatVector(repeating: -k)
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      let g = loadVector(dy + i) * loadVector(weight + i)
      storeVector(
        loadVector(dx + i).addingProduct(g, sv).addingProduct(loadVector(x + i), minusK), dx + i)
    }
    for i in vectorEnd..<c { dx[i] += s * dy[i] * weight[i] - x[i] * k }
  }
}
