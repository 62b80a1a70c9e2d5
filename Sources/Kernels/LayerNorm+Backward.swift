// Shapes: N = rows (B·T), C = channels.

/// Backward of `layerNormForward`, adding into `dinp`, `dweight` and `dbias`:
///
/// ```
/// x̂ = (x − μ)·rstd,  g = dout · weight
/// dinp    += rstd · (g − mean(g) − x̂ · mean(g · x̂))
/// dweight += Σ_rows dout · x̂,   dbias += Σ_rows dout
/// ```
/// Two passes over each row: mean(g) and mean(g · x̂) with the `dweight` and `dbias` updates
/// (`layerNormRowMeans`), then `dinp` (`layerNormInputGradient`). Up to
/// `normBackwardPipelineChannels` the passes are pipelined as in `rmsNormBackward`: one loop
/// does the first pass of row r and the second of row r − 1 (`layerNormPipelinedRows`). Both
/// orders give the same floats.
///
/// - Complexity: O(N·C).
public func layerNormBackward(
  dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
  rows n: Int, channels c: Int
) {
  guard n > 0 else { return }
  guard c <= normBackwardPipelineChannels else {
    layerNormBackwardRowByRow(
      dinp: dinp, dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight,
      mean: mean, rstd: rstd, rows: n, channels: c)
    return
  }
  var (m, s) = (mean[0], rstd[0])
  var means = layerNormRowMeans(
    dweight: dweight, dbias: dbias, dout: dout, inp: inp, weight: weight, mean: m, rstd: s, c)
  for r in 1..<n {
    let previous = (r - 1) * c
    let (nextMean, nextRstd) = (mean[r], rstd[r])
    means = layerNormPipelinedRows(
      dweight: dweight, dbias: dbias, dout: dout + r * c, inp: inp + r * c, mean: nextMean,
      rstd: nextRstd, dinp: dinp + previous, previousDout: dout + previous,
      previousInp: inp + previous, previousMean: m, previousRstd: s, previousMeans: means,
      weight: weight, c)
    (m, s) = (nextMean, nextRstd)
  }
  let last = (n - 1) * c
  layerNormInputGradient(
    dinp: dinp + last, dout: dout + last, inp: inp + last, weight: weight, mean: m, rstd: s,
    means: means, c)
}

/// mean(g) and mean(g · x̂) of a row: what its second pass needs besides x, dout and weight.
typealias LayerNormRowMeans = (g: Float, gx: Float)

/// The first pass over one row (C): returns (mean(g), mean(g · x̂)) and adds the row's terms to
/// `dweight` and `dbias`.
@inline(__always)
func layerNormRowMeans(
  dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>,
  dout dy: UnsafePointer<Float>, inp x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  mean m: Float, rstd s: Float, _ c: Int
) -> LayerNormRowMeans {
  let vectorEnd = c - c % vectorWidth
  var (gAcc, gxAcc) = (FloatVector(), FloatVector())
  for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
    let xhat = (loadVector(x + i) - m) * s
    let d = loadVector(dy + i)
    let g = d * loadVector(weight + i)
    gAcc += g
    gxAcc += g * xhat
    storeVector(loadVector(dbias + i) + d, dbias + i)
    storeVector(loadVector(dweight + i) + d * xhat, dweight + i)
  }
  let (gSum, gxSum) = (treeSum(gAcc), treeSum(gxAcc))
  return layerNormSumTail(gSum, gxSum, dweight, dbias, dy, x, weight, m, s, vectorEnd, c)
}

/// The second pass over one row (C), `dinp += rstd · (g − mean(g) − x̂ · mean(g · x̂))`.
@inline(__always)
func layerNormInputGradient(
  dinp dx: UnsafeMutablePointer<Float>, dout dy: UnsafePointer<Float>, inp x: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, mean m: Float, rstd s: Float, means: LayerNormRowMeans, _ c: Int
) {
  let vectorEnd = c - c % vectorWidth
  for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
    layerNormInputTerms(dx, dy, x, loadVector(weight + i), m, s, means, i)
  }
  layerNormInputTail(dx, dy, x, weight, m, s, means, vectorEnd, c)
}

/// The first pass of one row (`dout`, `inp`, `mean`, `rstd`) and the second of the row before
/// it (`previous…`, whose means are known) in one loop, each vector of `weight` loaded once for
/// both; returns the row's means.
@inline(__always)
func layerNormPipelinedRows(
  dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>,
  dout dy: UnsafePointer<Float>, inp x: UnsafePointer<Float>, mean m: Float, rstd s: Float,
  dinp dx: UnsafeMutablePointer<Float>, previousDout: UnsafePointer<Float>,
  previousInp: UnsafePointer<Float>, previousMean: Float, previousRstd: Float,
  previousMeans: LayerNormRowMeans, weight: UnsafePointer<Float>, _ c: Int
) -> LayerNormRowMeans {
  let vectorEnd = c - c % vectorWidth
  var (gAcc, gxAcc) = (FloatVector(), FloatVector())
  for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
    let w = loadVector(weight + i)
    layerNormSumTerms(&gAcc, &gxAcc, dweight, dbias, dy, x, w, m, s, i)
    layerNormInputTerms(
      dx, previousDout, previousInp, w, previousMean, previousRstd, previousMeans, i)
  }
  layerNormInputTail(
    dx, previousDout, previousInp, weight, previousMean, previousRstd, previousMeans, vectorEnd,
    c)
  let (gSum, gxSum) = (treeSum(gAcc), treeSum(gxAcc))
  return layerNormSumTail(gSum, gxSum, dweight, dbias, dy, x, weight, m, s, vectorEnd, c)
}

/// One vector of the first pass: `gAcc += g`, `gxAcc += g · x̂`, `dbias += dout`,
/// `dweight += dout · x̂`.
@inline(__always)
func layerNormSumTerms(
  _ gAcc: inout FloatVector, _ gxAcc: inout FloatVector, _ dweight: UnsafeMutablePointer<Float>,
  _ dbias: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
  _ w: FloatVector, _ m: Float, _ s: Float, _ i: Int
) {
  let xhat = (loadVector(x + i) - m) * s
  let d = loadVector(dy + i)
  let g = d * w
  gAcc += g
  gxAcc += g * xhat
  storeVector(loadVector(dbias + i) + d, dbias + i)
  storeVector(loadVector(dweight + i) + d * xhat, dweight + i)
}

/// The scalar tail of the first pass, elements `from ..< c`, continuing the sums; returns the
/// means (the sums / C).
@inline(__always)
func layerNormSumTail(
  _ gSum: Float, _ gxSum: Float, _ dweight: UnsafeMutablePointer<Float>,
  _ dbias: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
  _ weight: UnsafePointer<Float>, _ m: Float, _ s: Float, _ from: Int, _ c: Int
) -> LayerNormRowMeans {
  var (gSum, gxSum) = (gSum, gxSum)
  for i in from..<c {
    let xhat = (x[i] - m) * s
    let g = dy[i] * weight[i]
    gSum += g
    gxSum += g * xhat
    dbias[i] += dy[i]
    dweight[i] += dy[i] * xhat
  }
  let invC = 1 / Float(c)
  return (gSum * invC, gxSum * invC)
}

/// One vector of the second pass: `dinp += rstd · (g − mean(g) − x̂ · mean(g · x̂))`.
@inline(__always)
func layerNormInputTerms(
  _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
  _ w: FloatVector, _ m: Float, _ s: Float, _ means: LayerNormRowMeans, _ i: Int
) {
  let xhat = (loadVector(x + i) - m) * s
  let g = loadVector(dy + i) * w
  storeVector(loadVector(dx + i) + s * (g - means.g - xhat * means.gx), dx + i)
}

/// The scalar tail of the second pass, elements `from ..< c`.
@inline(__always)
func layerNormInputTail(
  _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
  _ weight: UnsafePointer<Float>, _ m: Float, _ s: Float, _ means: LayerNormRowMeans,
  _ from: Int, _ c: Int
) {
  for i in from..<c {
    let xhat = (x[i] - m) * s
    dx[i] += s * (dy[i] * weight[i] - means.g - xhat * means.gx)
  }
}

/// `layerNormBackward` one row at a time, first pass then second pass of each row: for rows
/// wider than `normBackwardPipelineChannels`. The loops as they were before the pipelining.
func layerNormBackwardRowByRow(
  dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>,
  dbias: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
  rows n: Int, channels c: Int
) {
  let invC = 1 / Float(c)
  let vectorEnd = c - c % vectorWidth
  for r in 0..<n {
    let x = inp + r * c
    let dy = dout + r * c
    let dx = dinp + r * c
    let m = mean[r]
    let s = rstd[r]
    var gAcc = FloatVector()
    var gxAcc = FloatVector()
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      let xhat = (loadVector(x + i) - m) * s
      let d = loadVector(dy + i)
      let g = d * loadVector(weight + i)
      gAcc += g
      gxAcc += g * xhat
      storeVector(loadVector(dbias + i) + d, dbias + i)
      storeVector(loadVector(dweight + i) + d * xhat, dweight + i)
    }
    var gMean = treeSum(gAcc)
    var gxMean = treeSum(gxAcc)
    for i in vectorEnd..<c {
      let xhat = (x[i] - m) * s
      let g = dy[i] * weight[i]
      gMean += g
      gxMean += g * xhat
      dbias[i] += dy[i]
      dweight[i] += dy[i] * xhat
    }
    gMean *= invC
    gxMean *= invC
    for i in stride(from: 0, to: vectorEnd, by: vectorWidth) {
      let xhat = (loadVector(x + i) - m) * s
      let g = loadVector(dy + i) * loadVector(weight + i)
      storeVector(loadVector(dx + i) + s * (g - gMean - xhat * gxMean), dx + i)
    }
    for i in vectorEnd..<c {
      let xhat = (x[i] - m) * s
      dx[i] += s * (dy[i] * weight[i] - gMean - xhat * gxMean)
    }
  }
}
