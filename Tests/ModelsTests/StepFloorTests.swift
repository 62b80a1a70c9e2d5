import Config
import Kernels
import Models
import Support
import Training
import XCTest

/// What the step profiler sees of a real (tiny) training step, and the floor built from it.
final class StepFloorTests: XCTestCase {
  let (b, t, c, layers) = (2, 16, 32, 2)

  func makeModel() throws -> (Transformer, [Int32], [Int32]) {
    let config = ModelConfig(
      dModel: c, nHeads: 4, nLayers: layers, context: t, norm: .layernorm, placement: .pre,
      attention: .softmax)
    let model = try Transformer(config: config, batch: b, seed: 3)
    let tokens = (0..<(b * t)).map { Int32($0 * 7 % 256) }
    let targets = (0..<(b * t)).map { Int32($0 * 11 % 256) }
    return (model, tokens, targets)
  }

  /// Each Linear layer makes one forward GEMM (N, OC, IC: A·Bᵀ) and two backward ones
  /// (dinp: N, IC, OC, A·B; dweight: OC, IC, N, Aᵀ·B, accumulating); the tied head the same
  /// three with C and V. Softmax attention's own products go around `sgemm`: none recorded.
  func testRecordedShapesAreThoseOfTheLinearLayersAndTheHead() throws {
    let (model, tokens, targets) = try makeModel()
    let profiler = StepProfiler()
    stepProfiler = profiler
    defer { stepProfiler = nil }
    model.zeroGradients()
    model.forward(tokens: tokens, targets: targets)
    model.backward()
    stepProfiler = nil

    let n = b * t
    var want: [GEMMShape: Int] = [:]
    func linear(in ic: Int, out oc: Int, forwardAccumulates: Bool, inputAccumulates: Bool) {
      want[
        GEMMShape(
          transposeA: false, transposeB: true, m: n, n: oc, k: ic, accumulates: forwardAccumulates),
        default: 0] += 1
      want[
        GEMMShape(
          transposeA: false, transposeB: false, m: n, n: ic, k: oc, accumulates: inputAccumulates),
        default: 0] += 1
      want[
        GEMMShape(transposeA: true, transposeB: false, m: oc, n: ic, k: n, accumulates: true),
        default: 0] += 1
    }
    for _ in 0..<layers {
      // qkv and fc: bias (qkv) or none (fc, its bias goes with GELU); their dinp is written
      // over a scratch (pre-LN: the norm's gradient); proj layers add bias and residual.
      linear(in: c, out: 3 * c, forwardAccumulates: true, inputAccumulates: false)
      linear(in: c, out: c, forwardAccumulates: true, inputAccumulates: false)
      linear(in: c, out: 4 * c, forwardAccumulates: false, inputAccumulates: false)
      linear(in: 4 * c, out: c, forwardAccumulates: true, inputAccumulates: false)
    }
    // The head: logits written, dh and dwte accumulated.
    want[
      GEMMShape(transposeA: false, transposeB: true, m: n, n: 256, k: c, accumulates: false),
      default: 0] += 1
    want[
      GEMMShape(transposeA: false, transposeB: false, m: n, n: c, k: 256, accumulates: true),
      default: 0] += 1
    want[
      GEMMShape(transposeA: true, transposeB: false, m: 256, n: c, k: n, accumulates: true),
      default: 0] += 1

    let got = profiler.gemms.mapValues(\.calls)
    XCTAssertEqual(got.values.reduce(0, +), 3 * (4 * layers + 1))
    XCTAssertEqual(got, want, "\(got.map { "\($0.key): \($0.value)" }.sorted())")
    for phase in [StepPhase.gemm, .attention, .norms, .elementwise] {
      XCTAssertGreaterThan(profiler.seconds[phase.rawValue], 0, phase.name)
    }
    XCTAssertEqual(profiler.seconds[StepPhase.communication.rawValue], 0)
  }

  /// The floor of a few steps: positive, below the measured step, one row per shape; the
  /// phases and `other` add up to the step.
  func testFloorIsPositiveAndBelowTheStep() throws {
    let (model, tokens, targets) = try makeModel()
    model.forward(tokens: tokens, targets: targets)  // warm-up, not profiled
    model.backward()
    let (profiler, steps) = (StepProfiler(), 3)
    stepProfiler = profiler
    defer { stepProfiler = nil }
    let (start, cpuStart) = (monotonicSeconds(), threadCPUSeconds())
    for _ in 0..<steps {
      profiled(.optimizer) { model.zeroGradients() }
      model.forward(tokens: tokens, targets: targets)
      model.backward()
    }
    let (elapsed, cpu) = (monotonicSeconds() - start, threadCPUSeconds() - cpuStart)
    stepProfiler = nil
    var meetings = 0
    let floor = StepFloor(
      profiler: profiler, steps: steps, stepSeconds: elapsed, stepCPUSeconds: cpu, repeats: 5,
      beforeColdTimings: { meetings += 1 })
    XCTAssertEqual(meetings, 1, "one meeting between the warm and the cold timings")
    XCTAssertGreaterThan(floor.floorMS, 0)
    XCTAssertLessThan(floor.floorMS, floor.stepMS)
    XCTAssertEqual(floor.callsPerStep, 3 * (4 * layers + 1))
    XCTAssertEqual(floor.shapes.count, Set(profiler.gemms.keys).count)
    XCTAssertEqual(
      floor.floorMS, floor.shapes.map { Double($0.callsPerStep) * $0.aloneMS }.reduce(0, +),
      accuracy: 1e-9)
    XCTAssertEqual(
      floor.phaseMS.values.reduce(0, +) + floor.otherMS, floor.stepMS, accuracy: 1e-9)
    XCTAssertGreaterThanOrEqual(floor.otherMS, 0)
    XCTAssertGreaterThan(floor.floorCPUMS, 0)
    XCTAssertLessThan(floor.floorCPUMS, floor.stepCPUMS)
    XCTAssertEqual(
      floor.phaseCPUMS.values.reduce(0, +) + floor.otherCPUMS, floor.stepCPUMS, accuracy: 1e-9)
    for shape in floor.shapes {
      XCTAssertGreaterThan(shape.inStepOverAlone, 0, shape.shape)
      XCTAssertEqual(
        shape.aloneGflops / shape.inStepGflops, shape.inStepMS / shape.aloneMS, accuracy: 1e-9)
    }
    // The cold floor sums the same calls timed on operands from memory; its rows say so.
    XCTAssertEqual(
      floor.coldFloorMS,
      floor.shapes.map { Double($0.callsPerStep) * $0.aloneColdMS }.reduce(0, +), accuracy: 1e-9)
    XCTAssertEqual(
      floor.coldFloorCPUMS,
      floor.shapes.map { Double($0.callsPerStep) * $0.aloneColdCPUMS }.reduce(0, +),
      accuracy: 1e-9)
    XCTAssertGreaterThan(floor.coldFloorCPUMS, 0)
    for shape in floor.shapes {
      XCTAssertEqual(
        shape.inStepOverAloneCold, shape.aloneColdMS / shape.inStepMS, accuracy: 1e-9, shape.shape)
    }
    XCTAssertEqual(floor.sweepMB, Double(CacheSweep().bytes) / Double(1 << 20))
    let coldRows = floor.coldFloorRows(stepMS: 2 * floor.coldFloorMS)
    XCTAssertEqual(coldRows.map(\.0), ["GEMM floor, operands cold ms/step", "step / cold floor"])
    XCTAssertTrue(coldRows[1].1.hasPrefix("2.00x"), "\(coldRows)")
    XCTAssertTrue(floor.phaseTable.contains("alone, cold"), floor.phaseTable)
    // The replay of one step's calls and the alone means: positive, and a mean is no better
    // than the best.
    XCTAssertGreaterThan(floor.replayCPUMS, 0)
    XCTAssertLessThanOrEqual(floor.replayBestCPUMS, floor.replayCPUMS)
    XCTAssertGreaterThanOrEqual(floor.aloneMeanCPUMS, floor.floorCPUMS)
    XCTAssertTrue(floor.shapes.allSatisfy { $0.replayCPUMS > 0 })
    XCTAssertTrue(floor.phaseTable.contains("replay in step order"), floor.phaseTable)
    XCTAssertTrue(floor.phaseTable.contains("GEMM"), floor.phaseTable)
    XCTAssertTrue(floor.shapeTable.contains("\(b * t)×\(3 * c)×\(c) A·Bᵀ β=1"), floor.shapeTable)
    // Without the fused attention's products: no such part, and the table says nothing of it.
    XCTAssertNil(floor.attentionProducts)
    XCTAssertEqual(floor.allProductsFloorMS, floor.floorMS)
    XCTAssertFalse(floor.phaseTable.contains("products alone"), floor.phaseTable)
  }

  /// With one layer's fused attention products timed alone: layers × their best time joins the
  /// floor, and the attention phase's row says how far the step's attention is from them.
  func testAttentionProductsJoinTheFloor() throws {
    let (model, tokens, targets) = try makeModel()
    let profiler = StepProfiler()
    stepProfiler = profiler
    let (start, cpuStart) = (monotonicSeconds(), threadCPUSeconds())
    model.forward(tokens: tokens, targets: targets)
    model.backward()
    let (elapsed, cpu) = (monotonicSeconds() - start, threadCPUSeconds() - cpuStart)
    stepProfiler = nil
    let alone = AttentionProductsAlone(batch: b, time: t, channels: 64, heads: 4, repeats: 3)
    let floor = StepFloor(
      profiler: profiler, steps: 1, stepSeconds: elapsed, stepCPUSeconds: cpu, repeats: 3,
      attention: (alone, layers))
    let products = try XCTUnwrap(floor.attentionProducts)
    XCTAssertEqual(products.layers, layers)
    XCTAssertEqual(products.floorMS, Double(layers) * alone.seconds * 1e3, accuracy: 1e-12)
    XCTAssertEqual(products.floorCPUMS, Double(layers) * alone.cpuSeconds * 1e3, accuracy: 1e-12)
    XCTAssertEqual(products.gflops, alone.flops / alone.seconds / 1e9, accuracy: 1e-9)
    XCTAssertEqual(floor.allProductsFloorMS, floor.floorMS + products.floorMS, accuracy: 1e-12)
    XCTAssertEqual(
      floor.allProductsFloorCPUMS, floor.floorCPUMS + products.floorCPUMS, accuracy: 1e-12)
    XCTAssertEqual(
      floor.allProductsAloneMeanCPUMS, floor.aloneMeanCPUMS + products.meanCPUMS, accuracy: 1e-12)
    XCTAssertGreaterThanOrEqual(products.meanCPUMS, products.floorCPUMS * (1 - 1e-12))
    let rows = floor.allProductsRows(stepMS: floor.stepMS)
    XCTAssertEqual(rows.count, 2)
    XCTAssertTrue(rows[1].1.contains("against the alone means"), "\(rows)")
    XCTAssertTrue(floor.phaseTable.contains("products alone"), floor.phaseTable)
  }
}
