import Config
import Models
import Training
import XCTest

/// How far a float AdamW update may be from the same update in Double: the parameters are
/// below 1 here, so float rounding leaves ~1e-7; a group trained at a neighbour's rate (a
/// factor 2.6) is off by more than lr·(1 − 1/2.6) ≈ 1e-4 in every element that moved.
let updateTolerance = 1e-6

/// Discriminative learning rates and STLR, step by step against their formulas
/// (Howard & Ruder 2018, section 3.2 and equation 3).
final class DiscriminativeRateTests: XCTestCase {
  func testSlantedTriangularFollowsEquationThree() {
    var schedule = LearningRateSchedule(
      peak: 0.01, minimum: 0, warmup: 0, steps: 1000, shape: .stlr)
    (schedule.cutFraction, schedule.ratio) = (0.1, 32)
    let cut = 100.0
    for t in 0..<1000 {
      let p = Double(t) < cut ? Double(t) / cut : 1 - (Double(t) - cut) / (cut * (1 / 0.1 - 1))
      XCTAssertEqual(schedule.rate(at: t), 0.01 * (1 + p * 31) / 32, accuracy: 1e-15, "t = \(t)")
    }
    XCTAssertEqual(schedule.rate(at: 0), 0.01 / 32, accuracy: 1e-15)
    XCTAssertEqual(schedule.rate(at: 100), 0.01, accuracy: 1e-15)
  }

  /// With few steps the rounded-down cut makes the decay reach 0 early: p stays at 0, the rate
  /// at lr / ratio, never below.
  func testSlantedTriangularNeverGoesBelowItsFloor() {
    var schedule = LearningRateSchedule(peak: 1, minimum: 0, warmup: 0, steps: 15, shape: .stlr)
    (schedule.cutFraction, schedule.ratio) = (0.1, 32)
    for t in 0..<15 { XCTAssertGreaterThanOrEqual(schedule.rate(at: t), 1.0 / 32) }
    XCTAssertEqual(schedule.rate(at: 1), 1)
  }

  func testLayerGroupsOfEachPlacement() {
    let pre = ModelLayout(ModelConfig(dModel: 16, nHeads: 2, nLayers: 3, placement: .pre))
    let groups = LayerGroups(parameters: pre.parameters, layers: 3)
    XCTAssertEqual(groups.count, 5)
    XCTAssertEqual(groups.firstOffset(ofGroup: 0), 0)
    XCTAssertEqual(
      groups.firstOffset(ofGroup: 1), pre.parameters.entry("h.0.norm_1.weight")?.offset)
    XCTAssertEqual(groups.firstOffset(ofGroup: 4), pre.parameters.entry("norm_f.weight")?.offset)
    XCTAssertEqual(groups.firstOffset(ofGroup: 5), pre.parameters.totalCount)
    let scales = groups.rateScales(decay: 2.6)
    for (entry, scale) in zip(pre.parameters.entries, scales) {
      let group = LayerGroups.group(of: entry.name, layers: 3)
      XCTAssertEqual(Double(scale), pow(2.6, -Double(4 - group)), accuracy: 1e-7, entry.name)
    }
    // Post placement has no final norm: the last block is the top group.
    let post = ModelLayout(ModelConfig(dModel: 16, nHeads: 2, nLayers: 3, placement: .post))
    XCTAssertEqual(LayerGroups(parameters: post.parameters, layers: 3).count, 4)
  }

  /// Every element of every tensor moves as AdamW at its group's rate `lr_t / 2.6^(top − g)`,
  /// with `lr_t` from STLR, over six steps.
  func testEveryGroupUpdatesAtItsOwnRate() throws {
    var config = RunConfig()
    config.model = ModelConfig(dModel: 16, nHeads: 2, nLayers: 2, context: 8)
    config.train.batch = 4
    config.train.steps = 6
    config.train.schedule = .stlr
    config.train.stlrCutFrac = 0.5
    config.train.lrDecayPerLayer = 2.6
    config.train.clip = 0
    let trainer = try Trainer(run: config, trainTokens: transferTokens())
    let top = trainer.groups.top
    XCTAssertEqual(top, 3)
    let (b1, b2, decay) = (config.train.beta1, config.train.beta2, config.train.weightDecay)
    for step in 0..<6 {
      let before = Array(trainer.model.parameters.buffer)
      let m0 = Array(trainer.optimizer.firstMoment.buffer)
      let v0 = Array(trainer.optimizer.secondMoment.buffer)
      let stats = trainer.trainStep()
      XCTAssertEqual(stats.learningRate, trainer.schedule.slantedTriangular(at: step))
      let t = Double(step + 1)
      let after = trainer.model.parameters.buffer
      let g = trainer.model.gradients.buffer
      var worst = 0.0
      for entry in trainer.model.layout.parameters.entries {
        let group = LayerGroups.group(of: entry.name, layers: 2)
        let lr = stats.learningRate / pow(2.6, Double(top - group))
        let lambda = entry.isVector ? 0 : decay
        for i in entry.offset..<entry.offset + entry.count {
          let grad = Double(g[i])
          let m = b1 * Double(m0[i]) + (1 - b1) * grad
          let v = b2 * Double(v0[i]) + (1 - b2) * grad * grad
          let expected =
            Double(before[i]) * (1 - lr * lambda)
            - lr / (1 - pow(b1, t)) * m / ((v / (1 - pow(b2, t))).squareRoot() + 1e-8)
          worst = max(worst, abs(expected - Double(after[i])))
        }
      }
      XCTAssertLessThan(worst, updateTolerance, "step \(step + 1)")
    }
  }
}

/// Made-up training bytes: 20 letters drawn by a seeded generator.
func transferTokens() -> [UInt8] {
  var state: UInt64 = 11
  return (0..<5000).map { _ in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return UInt8(97 + (state >> 33) % 20)
  }
}
