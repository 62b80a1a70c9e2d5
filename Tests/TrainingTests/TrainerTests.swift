import Config
import Models
import Training
import XCTest

/// Float summation order is all that separates accumulated from whole-batch gradients: a few
/// ulps per step, compounded by AdamW's division by √v over a few steps.
let accumulationTolerance: Float = 1e-4

final class TrainerTests: XCTestCase {
  func tokens() -> [UInt8] {
    var state: UInt64 = 7
    return (0..<5000).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(97 + (state >> 33) % 20)
    }
  }

  func run(accumulation: Int) throws -> [Float] {
    var config = RunConfig()
    config.model = ModelConfig(dModel: 16, nHeads: 2, nLayers: 2, context: 8)
    config.train.batch = 4
    config.train.gradAccum = accumulation
    config.train.warmup = 1
    config.train.steps = 5
    let trainer = try Trainer(run: config, trainTokens: tokens())
    for _ in 0..<5 { _ = trainer.trainStep() }
    return Array(trainer.model.parameters.buffer)
  }

  /// Two micro-batches of 2 make the same update as one batch of 4: the sampler draws the same
  /// windows in the same order and the loss scale 1/2 averages the two means.
  func testAccumulationMatchesWholeBatch() throws {
    let whole = try run(accumulation: 1)
    let accumulated = try run(accumulation: 2)
    var worst: Float = 0
    for (a, b) in zip(whole, accumulated) { worst = max(worst, abs(a - b)) }
    XCTAssertLessThan(worst, accumulationTolerance)
  }

  func testLossFallsOnRepetitiveText() throws {
    var config = RunConfig()
    config.model = ModelConfig(dModel: 16, nHeads: 2, nLayers: 1, context: 8)
    config.train.batch = 8
    config.train.warmup = 5
    config.train.steps = 60
    config.train.lr = 3e-3
    let trainer = try Trainer(run: config, trainTokens: tokens())
    let first = trainer.trainStep().loss
    var last = first
    for _ in 1..<60 { last = trainer.trainStep().loss }
    XCTAssertLessThan(last, first - 1, "from \(first) to \(last)")
  }
}
