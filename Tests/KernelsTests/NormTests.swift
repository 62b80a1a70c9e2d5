import Kernels
import TestSupport
import XCTest

/// Float normalization against a Double reference: rounding in the mean and variance of ~8
/// values, amplified by rstd ≈ 1: a few float ulps of the output scale.
let normTolerance: Float = 1e-5

/// The vectorized row kernels against the Double reference at widths up to C = 1024: a row's
/// sums run in 16 lane-wise partial sums of up to 64 terms each, so their rounding grows to
/// ~64 · 2⁻²⁴ ≈ 4e-6 of the row's scale in the worst case; the backward multiplies two such
/// sums. 2e-5 is that with a margin of ~2×, while a wrong lane or a dropped tail element is an
/// error of order 1.
let wideNormTolerance: Float = 2e-5

final class NormTests: XCTestCase {
  let (n, c) = (6, 8)

  func testLayerNorm() {
    let x = TestTensor(count: n * c, uniform: -2, 3, seed: 20)
    let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: 21)
    let bias = TestTensor(count: c, uniform: -1, 1, seed: 22)
    let projection = TestTensor(count: n * c, uniform: -1, 1, seed: 23)
    let (out, mean, rstd) = (TestTensor(count: n * c), TestTensor(count: n), TestTensor(count: n))
    func forward() -> Double {
      layerNormForward(
        out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x.pointer,
        weight: weight.pointer, bias: bias.pointer, rows: n, channels: c)
      return projectedLoss(out, projection)
    }
    _ = forward()
    let want = Reference.layerNorm(x.array, weight.array, bias.array, rows: n, channels: c)
    XCTAssertLessThan(maxRelativeError(out.array, want), normTolerance)
    let (dx, dw, db) = (TestTensor(count: n * c), TestTensor(count: c), TestTensor(count: c))
    layerNormBackward(
      dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer,
      dout: projection.pointer, inp: x.pointer, weight: weight.pointer, mean: mean.pointer,
      rstd: rstd.pointer, rows: n, channels: c)
    for (name, input, grad) in [("x", x, dx), ("weight", weight, dw), ("bias", bias, db)] {
      let check = gradientCheckError(input: input, analytic: grad.array, loss: forward)
      XCTAssertLessThan(check.error, finiteDifferenceTolerance, "layernorm d\(name)")
    }
  }

  func testRMSNorm() {
    let x = TestTensor(count: n * c, uniform: -2, 3, seed: 24)
    let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: 25)
    let projection = TestTensor(count: n * c, uniform: -1, 1, seed: 26)
    let (out, rstd) = (TestTensor(count: n * c), TestTensor(count: n))
    func forward() -> Double {
      rmsNormForward(
        out: out.pointer, rstd: rstd.pointer, inp: x.pointer,
        weight: weight.pointer, rows: n, channels: c)
      return projectedLoss(out, projection)
    }
    _ = forward()
    let want = Reference.rmsNorm(x.array, weight.array, rows: n, channels: c)
    XCTAssertLessThan(maxRelativeError(out.array, want), normTolerance)
    let (dx, dw) = (TestTensor(count: n * c), TestTensor(count: c))
    rmsNormBackward(
      dinp: dx.pointer, dweight: dw.pointer, dout: projection.pointer,
      inp: x.pointer, weight: weight.pointer, rstd: rstd.pointer, rows: n, channels: c)
    for (name, input, grad) in [("x", x, dx), ("weight", weight, dw)] {
      let check = gradientCheckError(input: input, analytic: grad.array, loss: forward)
      XCTAssertLessThan(check.error, finiteDifferenceTolerance, "rmsnorm d\(name)")
    }
  }

  /// Training-mode BatchNorm through its four pieces, as the model calls them.
  final class BatchNormHarness {
    let n: Int, c: Int
    let out: TestTensor, mean: TestTensor, rstd: TestTensor
    let runningMean: TestTensor, runningVar: TestTensor
    let stats: TestTensor, gradStats: TestTensor
    init(rows n: Int, channels c: Int) {
      (self.n, self.c) = (n, c)
      out = TestTensor(count: n * c)
      (mean, rstd) = (TestTensor(count: c), TestTensor(count: c))
      (runningMean, runningVar) = (TestTensor(count: c), TestTensor(count: c, value: 1))
      stats = TestTensor(count: batchNormStatisticsCount(channels: c))
      gradStats = TestTensor(count: batchNormGradientStatisticsCount(channels: c))
    }
    func forward(_ x: TestTensor, _ weight: TestTensor, _ bias: TestTensor) {
      batchNormStatistics(stats: stats.pointer, inp: x.pointer, rows: n, channels: c)
      batchNormNormalize(
        out: out.pointer, mean: mean.pointer, rstd: rstd.pointer,
        runningMean: runningMean.pointer, runningVar: runningVar.pointer, inp: x.pointer,
        weight: weight.pointer, bias: bias.pointer, stats: stats.pointer, rows: n, channels: c)
    }
    func backward(
      dx: TestTensor, dw: TestTensor, db: TestTensor, dout: TestTensor,
      x: TestTensor, weight: TestTensor
    ) {
      batchNormGradientStatistics(
        stats: gradStats.pointer, dweight: dw.pointer,
        dbias: db.pointer, dout: dout.pointer, inp: x.pointer, mean: mean.pointer,
        rstd: rstd.pointer, rows: n, channels: c)
      batchNormBackward(
        dinp: dx.pointer, dout: dout.pointer, inp: x.pointer,
        weight: weight.pointer, mean: mean.pointer, rstd: rstd.pointer,
        stats: gradStats.pointer, count: Float(n), rows: n, channels: c)
    }
  }

  func testBatchNormTraining() {
    let x = TestTensor(count: n * c, uniform: -2, 3, seed: 27)
    let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: 28)
    let bias = TestTensor(count: c, uniform: -1, 1, seed: 29)
    let projection = TestTensor(count: n * c, uniform: -1, 1, seed: 30)
    let bn = BatchNormHarness(rows: n, channels: c)
    func forward() -> Double {
      bn.forward(x, weight, bias)
      return projectedLoss(bn.out, projection)
    }
    _ = forward()
    let want = Reference.batchNorm(x.array, weight.array, bias.array, rows: n, channels: c)
    XCTAssertLessThan(maxRelativeError(bn.out.array, want), normTolerance)
    let (dx, dw, db) = (TestTensor(count: n * c), TestTensor(count: c), TestTensor(count: c))
    bn.backward(dx: dx, dw: dw, db: db, dout: projection, x: x, weight: weight)
    for (name, input, grad) in [("x", x, dx), ("weight", weight, dw), ("bias", bias, db)] {
      let check = gradientCheckError(input: input, analytic: grad.array, loss: forward)
      XCTAssertLessThan(check.error, finiteDifferenceTolerance, "batchnorm d\(name)")
    }
  }

  /// Running statistics follow PyTorch: momentum 0.1, unbiased variance; eval mode uses them.
  func testBatchNormRunningStatisticsAndEval() {
    let x = TestTensor(count: n * c, uniform: -2, 3, seed: 31)
    let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: 32)
    let bias = TestTensor(count: c, uniform: -1, 1, seed: 33)
    let bn = BatchNormHarness(rows: n, channels: c)
    bn.forward(x, weight, bias)
    for i in 0..<c {
      let column = (0..<n).map { Double(x[$0 * c + i]) }
      let m = column.reduce(0, +) / Double(n)
      let unbiased = column.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)
      XCTAssertEqual(Double(bn.runningMean[i]), 0.1 * m, accuracy: 1e-6)
      XCTAssertEqual(Double(bn.runningVar[i]), 0.9 + 0.1 * unbiased, accuracy: 1e-5)
    }
    let out = TestTensor(count: n * c)
    let scratch = TestTensor(count: c)
    batchNormEvalForward(
      out: out.pointer, rstdScratch: scratch.pointer, inp: x.pointer,
      weight: weight.pointer, bias: bias.pointer, runningMean: bn.runningMean.pointer,
      runningVar: bn.runningVar.pointer, rows: n, channels: c)
    for r in 0..<n {
      for i in 0..<c {
        let want =
          (Double(x[r * c + i]) - Double(bn.runningMean[i]))
          / (Double(bn.runningVar[i]) + 1e-5).squareRoot() * Double(weight[i]) + Double(bias[i])
        XCTAssertEqual(Double(out[r * c + i]), want, accuracy: 1e-5)
      }
    }
  }

  /// Widths with only a scalar tail (8, 15), vector body and tail (17, 100), and whole vectors
  /// (64, 1024): forward and backward of the vectorized kernels against the Double reference.
  let wideWidths = [8, 15, 17, 64, 100, 1024]

  func testRMSNormMatchesReferenceAtAllWidths() {
    for c in wideWidths {
      let x = TestTensor(count: n * c, uniform: -2, 3, seed: 40)
      let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: 41)
      let dout = TestTensor(count: n * c, uniform: -1, 1, seed: 42)
      let (out, rstd) = (TestTensor(count: n * c), TestTensor(count: n))
      rmsNormForward(
        out: out.pointer, rstd: rstd.pointer, inp: x.pointer, weight: weight.pointer, rows: n,
        channels: c)
      let want = Reference.rmsNorm(x.array, weight.array, rows: n, channels: c)
      XCTAssertLessThan(maxRelativeError(out.array, want), wideNormTolerance, "rmsnorm C=\(c)")
      let (dx, dw) = (TestTensor(count: n * c), TestTensor(count: c))
      rmsNormBackward(
        dinp: dx.pointer, dweight: dw.pointer, dout: dout.pointer, inp: x.pointer,
        weight: weight.pointer, rstd: rstd.pointer, rows: n, channels: c)
      let grads = Reference.rmsNormBackward(
        dout.array, x.array, weight.array, rows: n, channels: c)
      XCTAssertLessThan(
        maxRelativeError(dx.array, grads.dinp), wideNormTolerance, "rmsnorm dx C=\(c)")
      XCTAssertLessThan(
        maxRelativeError(dw.array, grads.dweight), wideNormTolerance, "rmsnorm dweight C=\(c)")
    }
  }

  func testLayerNormMatchesReferenceAtAllWidths() {
    for c in wideWidths {
      let x = TestTensor(count: n * c, uniform: -2, 3, seed: 43)
      let weight = TestTensor(count: c, uniform: 0.5, 1.5, seed: 44)
      let bias = TestTensor(count: c, uniform: -1, 1, seed: 45)
      let dout = TestTensor(count: n * c, uniform: -1, 1, seed: 46)
      let (out, mean, rstd) = (
        TestTensor(count: n * c), TestTensor(count: n), TestTensor(count: n)
      )
      layerNormForward(
        out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: x.pointer,
        weight: weight.pointer, bias: bias.pointer, rows: n, channels: c)
      let want = Reference.layerNorm(x.array, weight.array, bias.array, rows: n, channels: c)
      XCTAssertLessThan(maxRelativeError(out.array, want), wideNormTolerance, "layernorm C=\(c)")
      let (dx, dw, db) = (TestTensor(count: n * c), TestTensor(count: c), TestTensor(count: c))
      layerNormBackward(
        dinp: dx.pointer, dweight: dw.pointer, dbias: db.pointer, dout: dout.pointer,
        inp: x.pointer, weight: weight.pointer, mean: mean.pointer, rstd: rstd.pointer, rows: n,
        channels: c)
      let grads = Reference.layerNormBackward(
        dout.array, x.array, weight.array, rows: n, channels: c)
      XCTAssertLessThan(
        maxRelativeError(dx.array, grads.dinp), wideNormTolerance, "layernorm dx C=\(c)")
      XCTAssertLessThan(
        maxRelativeError(dw.array, grads.dweight), wideNormTolerance, "layernorm dweight C=\(c)")
      XCTAssertLessThan(
        maxRelativeError(db.array, grads.dbias), wideNormTolerance, "layernorm dbias C=\(c)")
    }
  }
}
