import Kernels
import TestSupport
import XCTest

/// Up to `normBackwardPipelineChannels` (256) the norm backwards pipeline their two passes (the
/// sums of row r in one loop with the `dinp` of row r − 1). These tests hold that path to the
/// row-at-a-time one (the same kernel called with `rows: 1` for each row: its sums pass, then
/// its `dinp` pass) and to finite differences, at row counts 1, 2 and more, and widths with and
/// without a scalar tail; 1000 takes the row-at-a-time path in both calls.
final class NormBackwardPipelineTests: XCTestCase {
  let rowCounts = [1, 2, 3, 4, 5, 8, 13]
  /// Tail only (8, 15), vector body and tail (17, 100, 1000), whole vectors (256).
  let widths = [8, 15, 17, 100, 256, 1000]

  /// Tolerance 0: the pipelined path does the same float operations on every element and every
  /// partial sum, in the same order, so it must give the same bits; any reordering would show.
  func testRMSNormPipelineEqualRowByRow() {
    for c in widths {
      for n in rowCounts {
        let seed = UInt64(100 * c + n)
        let x = TestTensor(count: n * c, uniform: -2, 3, seed: seed)
        let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: seed + 1)
        let dout = TestTensor(count: n * c, uniform: -1, 1, seed: seed + 2)
        let (out, rstd) = (TestTensor(count: n * c), TestTensor(count: n))
        rmsNormForward(
          out: out.pointer, rstd: rstd.pointer, inp: x.pointer, weight: weight.pointer, rows: n,
          channels: c)
        // Nonzero starting gradients: the kernel adds into them.
        let pipelined = (
          dx: TestTensor(count: n * c, uniform: -1, 1, seed: seed + 3),
          dw: TestTensor(count: c, uniform: -1, 1, seed: seed + 4)
        )
        let byRow = (dx: TestTensor(pipelined.dx.array), dw: TestTensor(pipelined.dw.array))
        rmsNormBackward(
          dinp: pipelined.dx.pointer, dweight: pipelined.dw.pointer, dout: dout.pointer,
          inp: x.pointer, weight: weight.pointer, rstd: rstd.pointer, rows: n, channels: c)
        for r in 0..<n {
          rmsNormBackward(
            dinp: byRow.dx.pointer + r * c, dweight: byRow.dw.pointer, dout: dout.pointer + r * c,
            inp: x.pointer + r * c, weight: weight.pointer, rstd: rstd.pointer + r, rows: 1,
            channels: c)
        }
        XCTAssertEqual(pipelined.dx.array, byRow.dx.array, "rmsnorm dinp N=\(n) C=\(c)")
        XCTAssertEqual(pipelined.dw.array, byRow.dw.array, "rmsnorm dweight N=\(n) C=\(c)")
      }
    }
  }

  func testLayerNormPipelineEqualRowByRow() {
    for c in widths {
      for n in rowCounts {
        let seed = UInt64(100 * c + n)
        let x = TestTensor(count: n * c, uniform: -2, 3, seed: seed)
        let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: seed + 1)
        let bias = TestTensor(count: c, uniform: -1, 1, seed: seed + 2)
        let dout = TestTensor(count: n * c, uniform: -1, 1, seed: seed + 3)
        let (out, mean, rstd) = (
          TestTensor(count: n * c), TestTensor(count: n), TestTensor(count: n)
        )
        layerNormForward(
          out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x.pointer,
          weight: weight.pointer, bias: bias.pointer, rows: n, channels: c)
        let pipelined = (
          dx: TestTensor(count: n * c, uniform: -1, 1, seed: seed + 4),
          dw: TestTensor(count: c, uniform: -1, 1, seed: seed + 5),
          db: TestTensor(count: c, uniform: -1, 1, seed: seed + 6)
        )
        let byRow = (
          dx: TestTensor(pipelined.dx.array), dw: TestTensor(pipelined.dw.array),
          db: TestTensor(pipelined.db.array)
        )
        layerNormBackward(
          dinp: pipelined.dx.pointer, dweight: pipelined.dw.pointer, dbias: pipelined.db.pointer,
          dout: dout.pointer, inp: x.pointer, weight: weight.pointer, mean: mean.pointer,
          rstd: rstd.pointer, rows: n, channels: c)
        for r in 0..<n {
          layerNormBackward(
            dinp: byRow.dx.pointer + r * c, dweight: byRow.dw.pointer, dbias: byRow.db.pointer,
            dout: dout.pointer + r * c, inp: x.pointer + r * c, weight: weight.pointer,
            mean: mean.pointer + r, rstd: rstd.pointer + r, rows: 1, channels: c)
        }
        XCTAssertEqual(pipelined.dx.array, byRow.dx.array, "layernorm dinp N=\(n) C=\(c)")
        XCTAssertEqual(pipelined.dw.array, byRow.dw.array, "layernorm dweight N=\(n) C=\(c)")
        XCTAssertEqual(pipelined.db.array, byRow.db.array, "layernorm dbias N=\(n) C=\(c)")
      }
    }
  }

  /// The pipelined backwards against the Double references (tolerance `wideNormTolerance`, as
  /// NormTests) from zero gradients, five rows at each width.
  func testPipelinedBackwardsMatchReferences() {
    let n = 5
    for c in widths {
      let x = TestTensor(count: n * c, uniform: -2, 3, seed: 60)
      let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: 61)
      let bias = TestTensor(count: c, uniform: -1, 1, seed: 62)
      let dout = TestTensor(count: n * c, uniform: -1, 1, seed: 63)
      let (out, mean, rstd) = (TestTensor(count: n * c), TestTensor(count: n), TestTensor(count: n))
      rmsNormForward(
        out: out.pointer, rstd: rstd.pointer, inp: x.pointer, weight: weight.pointer, rows: n,
        channels: c)
      let (dx, dw, db) = (TestTensor(count: n * c), TestTensor(count: c), TestTensor(count: c))
      rmsNormBackward(
        dinp: dx.pointer, dweight: dw.pointer, dout: dout.pointer, inp: x.pointer,
        weight: weight.pointer, rstd: rstd.pointer, rows: n, channels: c)
      let rms = Reference.rmsNormBackward(dout.array, x.array, weight.array, rows: n, channels: c)
      XCTAssertLessThan(maxRelativeError(dx.array, rms.dinp), wideNormTolerance, "rms dx C=\(c)")
      XCTAssertLessThan(maxRelativeError(dw.array, rms.dweight), wideNormTolerance, "rms dw C=\(c)")
      layerNormForward(
        out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x.pointer,
        weight: weight.pointer, bias: bias.pointer, rows: n, channels: c)
      (dx.zero(), dw.zero())
      layerNormBackward(
        dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: dout.pointer,
        inp: x.pointer, weight: weight.pointer, mean: mean.pointer, rstd: rstd.pointer, rows: n,
        channels: c)
      let ln = Reference.layerNormBackward(dout.array, x.array, weight.array, rows: n, channels: c)
      XCTAssertLessThan(maxRelativeError(dx.array, ln.dinp), wideNormTolerance, "ln dx C=\(c)")
      XCTAssertLessThan(maxRelativeError(dw.array, ln.dweight), wideNormTolerance, "ln dw C=\(c)")
      XCTAssertLessThan(maxRelativeError(db.array, ln.dbias), wideNormTolerance, "ln db C=\(c)")
    }
  }

  /// Finite differences (`finiteDifferenceTolerance`) through the pipelined path: five rows at
  /// C = 20, one vector and a scalar tail of four.
  func testPipelinedBackwardsAgainstFiniteDifferences() {
    let (n, c) = (5, 20)
    let x = TestTensor(count: n * c, uniform: -2, 3, seed: 70)
    let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: 71)
    let bias = TestTensor(count: c, uniform: -1, 1, seed: 72)
    let projection = TestTensor(count: n * c, uniform: -1, 1, seed: 73)
    let (out, mean, rstd) = (TestTensor(count: n * c), TestTensor(count: n), TestTensor(count: n))
    func rms() -> Double {
      rmsNormForward(
        out: out.pointer, rstd: rstd.pointer, inp: x.pointer, weight: weight.pointer, rows: n,
        channels: c)
      return projectedLoss(out, projection)
    }
    _ = rms()
    let (dx, dw, db) = (TestTensor(count: n * c), TestTensor(count: c), TestTensor(count: c))
    rmsNormBackward(
      dinp: dx.pointer, dweight: dw.pointer, dout: projection.pointer, inp: x.pointer,
      weight: weight.pointer, rstd: rstd.pointer, rows: n, channels: c)
    for (name, input, grad) in [("x", x, dx), ("weight", weight, dw)] {
      let check = gradientCheckError(input: input, analytic: grad.array, loss: rms)
      XCTAssertLessThan(check.error, finiteDifferenceTolerance, "rmsnorm d\(name)")
    }
    func ln() -> Double {
      layerNormForward(
        out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x.pointer,
        weight: weight.pointer, bias: bias.pointer, rows: n, channels: c)
      return projectedLoss(out, projection)
    }
    _ = ln()
    (dx.zero(), dw.zero())
    layerNormBackward(
      dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: projection.pointer,
      inp: x.pointer, weight: weight.pointer, mean: mean.pointer, rstd: rstd.pointer, rows: n,
      channels: c)
    for (name, input, grad) in [("x", x, dx), ("weight", weight, dw), ("bias", bias, db)] {
      let check = gradientCheckError(input: input, analytic: grad.array, loss: ln)
      XCTAssertLessThan(check.error, finiteDifferenceTolerance, "layernorm d\(name)")
    }
  }
}
