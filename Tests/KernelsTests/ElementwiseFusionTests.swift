import Kernels
import TestSupport
import XCTest

/// The vectorized and fused elementwise passes against the plain loops they replace. Shapes
/// have 37 columns (two whole vectors and a tail) and row counts that are not multiples of four,
/// so every vector, block and tail path runs.
final class ElementwiseFusionTests: XCTestCase {
  let (rows, columns) = (11, 37)

  /// `acc[c] += x[r, c]` row after row: the order `addColumnSums` promises to keep.
  func plainColumnSums(_ x: [Float], into acc: [Float]) -> [Float] {
    var acc = acc
    for r in 0..<rows {
      for c in 0..<columns { acc[c] += x[r * columns + c] }
    }
    return acc
  }

  /// Same additions in the same order: equal bit for bit (tolerance 0).
  func testColumnSumsEqualRowAfterRowLoop() {
    let x = TestTensor(count: rows * columns, uniform: -3, 3, seed: 21)
    let acc = TestTensor(count: columns, uniform: -1, 1, seed: 22)
    let want = plainColumnSums(x.array, into: acc.array)
    addColumnSums(of: x.pointer, rows: rows, columns: columns, into: acc.pointer)
    XCTAssertEqual(acc.array, want)
  }

  /// The tree of lane sums against a Double sum: 4 roundings of partial sums of at most the
  /// total's magnitude, each half an ulp (6e-8), so 1e-6 of the largest |lane| sum bounds it.
  func testTreeSumMatchesDoubleSum() {
    let lanes = TestTensor(count: vectorWidth, uniform: -5, 5, seed: 33)
    let v = loadVector(lanes.pointer)
    let want = lanes.array.reduce(0.0) { $0 + Double($1) }
    let scale = lanes.array.reduce(0.0) { $0 + Double(abs($1)) }
    XCTAssertLessThan(abs(Double(treeSum(v)) - want), 1e-6 * scale)
  }

  /// Bias plus residual rows before the sgemm: against the Double reference plus the residual,
  /// within `blasTolerance` (the sgemm's rounding; the copies add one rounding of ~6e-8).
  func testLinearForwardWithBiasAndResidualMatchesReference() {
    let ic = 19
    let inp = TestTensor(count: rows * ic, uniform: -1, 1, seed: 23)
    let weight = TestTensor(count: columns * ic, uniform: -1, 1, seed: 24)
    let bias = TestTensor(count: columns, uniform: -1, 1, seed: 25)
    let residual = TestTensor(count: rows * columns, uniform: -1, 1, seed: 26)
    let out = TestTensor(count: rows * columns, value: .nan)
    linearForward(
      out: out.pointer, inp: inp.pointer, weight: weight.pointer, bias: bias.pointer,
      rows: rows, inChannels: ic, outChannels: columns, residual: residual.pointer)
    let linear = Reference.linear(
      inp.array, weight.array, bias.array, rows: rows, inChannels: ic, outChannels: columns)
    let want = zip(linear, residual.array).map { $0 + $1 }
    XCTAssertLessThan(maxRelativeError(out.array, want), blasTolerance)

    linearForward(
      out: out.pointer, inp: inp.pointer, weight: weight.pointer, bias: bias.pointer,
      rows: rows, inChannels: ic, outChannels: columns)
    XCTAssertLessThan(maxRelativeError(out.array, linear), blasTolerance)
  }

  /// The fused GELU backward (in place, bias gradient in the same pass) equals the unfused one
  /// (a separate output, then the column sums) bit for bit: same products, same sum order.
  func testFusedGELUBackwardEqualsUnfused() {
    let n = rows * columns
    let inp = TestTensor(count: n, uniform: -4, 4, seed: 27)
    let dout = TestTensor(count: n, uniform: -1, 1, seed: 28)
    let (out, derivative) = (TestTensor(count: n), TestTensor(count: n))
    geluForward(out: out.pointer, derivative: derivative.pointer, inp: inp.pointer, count: n)

    let unfused = TestTensor(count: n, value: .nan)
    geluBackward(
      dinp: unfused.pointer, derivative: derivative.pointer, dout: dout.pointer, count: n)
    let dbiasStart = TestTensor(count: columns, uniform: -1, 1, seed: 29)
    let wantBias = plainColumnSums(unfused.array, into: dbiasStart.array)

    let inPlace = TestTensor(dout.array)
    geluBackward(
      dinp: inPlace.pointer, derivative: derivative.pointer, dout: inPlace.pointer, count: n,
      biasGradient: dbiasStart.pointer, columns: columns)
    XCTAssertEqual(inPlace.array, unfused.array)
    XCTAssertEqual(dbiasStart.array, wantBias)
  }

  /// The bias gradient of `gelu(inp + bias)` by finite differences, through the fused backward.
  func testFusedGELUBiasGradientMatchesFiniteDifferences() {
    let n = rows * columns
    let inp = TestTensor(count: n, uniform: -3, 3, seed: 30)
    let bias = TestTensor(count: columns, uniform: -1, 1, seed: 31)
    let projection = TestTensor(count: n, uniform: -1, 1, seed: 32)
    let (out, derivative) = (TestTensor(count: n), TestTensor(count: n))
    geluForward(
      out: out.pointer, derivative: derivative.pointer, inp: inp.pointer, bias: bias.pointer,
      columns: columns, count: n)
    let (dinp, dbias) = (TestTensor(count: n), TestTensor(count: columns))
    geluBackward(
      dinp: dinp.pointer, derivative: derivative.pointer, dout: projection.pointer, count: n,
      biasGradient: dbias.pointer, columns: columns)
    let check = gradientCheckError(input: bias, analytic: dbias.array) {
      geluForward(
        out: out.pointer, inp: inp.pointer, bias: bias.pointer, columns: columns, count: n)
      return projectedLoss(out, projection)
    }
    XCTAssertLessThan(check.error, finiteDifferenceTolerance)
  }
}
