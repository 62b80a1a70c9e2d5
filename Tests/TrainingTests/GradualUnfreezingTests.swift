import Config
import Models
import Training
import XCTest

/// Gradual unfreezing in one process: frozen groups are left bit for bit, their moments too,
/// and the truncated backward gives the trained groups the gradients a full backward would.
final class GradualUnfreezingTests: XCTestCase {
  func config(unfreezeEvery: Int = 2) -> RunConfig {
    var config = RunConfig()
    config.model = ModelConfig(dModel: 16, nHeads: 2, nLayers: 2, context: 8)
    config.train.batch = 4
    config.train.steps = 10
    config.train.warmup = 0
    config.train.unfreeze = .gradual
    config.train.unfreezeEvery = unfreezeEvery
    return config
  }

  func testScheduleUnfreezesOneGroupEveryNSteps() {
    let unfreezing = Unfreezing(kind: .gradual, every: 3, top: 3)
    XCTAssertEqual((0..<12).map(unfreezing.lowestTrained), [3, 3, 3, 2, 2, 2, 1, 1, 1, 0, 0, 0])
    XCTAssertEqual(Unfreezing(kind: .none, every: 3, top: 3).lowestTrained(at: 0), 0)
  }

  /// `unfreeze_every` near 2⁶³ (every group below the top stays frozen for the whole run): the
  /// first step of a group saturates at `Int.max` instead of overflowing, which crashed `ddp
  /// train` with a trace.
  func testHugeIntervalsNeverUnfreezeAndDoNotOverflow() {
    for (every, top) in [(Int.max, 3), (1 << 62, 3), (Int(1e17), 200), (Int.max / 2 + 1, 2)] {
      let unfreezing = Unfreezing(kind: .gradual, every: every, top: top)
      XCTAssertEqual(unfreezing.firstStep(ofGroup: top), 0)
      XCTAssertEqual(unfreezing.firstStep(ofGroup: 0), Int.max, "every \(every), top \(top)")
      XCTAssertEqual(unfreezing.lowestTrained(at: 1_000_000), top)
    }
    XCTAssertEqual(
      Unfreezing(kind: .gradual, every: 1 << 61, top: 3).firstStep(ofGroup: 1), 1 << 62)
  }

  /// In each step, every tensor of a frozen group keeps its parameters and both AdamW moments
  /// bit for bit, and every trained group's matrices move.
  func testFrozenGroupsStayBitIdentical() throws {
    let trainer = try Trainer(run: config(), trainTokens: transferTokens())
    let layout = trainer.model.layout.parameters
    for step in 0..<8 {
      let lowest = trainer.unfreezing.lowestTrained(at: step)
      let state = [
        trainer.model.parameters, trainer.optimizer.firstMoment, trainer.optimizer.secondMoment,
      ]
      let before = state.map { Array($0.buffer) }
      _ = trainer.trainStep()
      for entry in layout.entries {
        let group = LayerGroups.group(of: entry.name, layers: 2)
        let range = entry.offset..<entry.offset + entry.count
        for (tensors, old) in zip(state, before) {
          let same = Array(tensors.buffer[range]) == Array(old[range])
          if group < lowest {
            XCTAssertTrue(same, "step \(step + 1): frozen \(entry.name) changed")
          } else if tensors === trainer.model.parameters, !entry.isVector {
            XCTAssertFalse(same, "step \(step + 1): trained \(entry.name) did not move")
          }
        }
        if group < lowest {
          XCTAssertTrue(trainer.model.gradients.buffer[range].allSatisfy { $0 == 0 }, entry.name)
        }
      }
    }
  }

  /// A group's first update after it unfreezes is bias-corrected with its own t = 1 (as
  /// PyTorch's per-parameter step): zero moments give m̂ = g, v̂ = g², so each weight moves by
  /// lr · g / (|g| + ε) ≈ ±lr besides the decay, not by the ≈ 0.45 lr of an uncorrected t.
  func testUnfrozenGroupTakesFullFirstSteps() throws {
    let trainer = try Trainer(run: config(unfreezeEvery: 2), trainTokens: transferTokens())
    for _ in 0..<2 { _ = trainer.trainStep() }
    XCTAssertEqual(trainer.unfreezing.lowestTrained(at: 2), 2, "block 1 joins at step 3")
    let before = Array(trainer.model.parameters.buffer)
    let stats = trainer.trainStep()
    let (lr, decay) = (stats.learningRate, trainer.run.train.weightDecay)
    let entry = try XCTUnwrap(trainer.model.layout.parameters.entry("h.1.mlp.fc.weight"))
    var worst = 0.0
    for i in entry.offset..<entry.offset + entry.count
    where abs(trainer.model.gradients.buffer[i]) > 1e-5 {
      let decayed = Double(before[i]) * (1 - lr * decay)
      let moved = abs(Double(trainer.model.parameters.buffer[i]) - decayed)
      worst = max(worst, abs(moved - lr) / lr)
    }
    XCTAssertLessThan(worst, 1e-2, "relative distance of |step| from lr")
  }

  /// Stopping the backward above block k changes nothing in the gradients it still computes:
  /// they equal a full backward's bit for bit.
  func testTruncatedBackwardMatchesFullBackwardAbove() throws {
    for placement in [Placement.pre, .post, .residual] {
      let shape = ModelConfig(dModel: 16, nHeads: 2, nLayers: 3, context: 8, placement: placement)
      let model = try Transformer(config: shape, batch: 2, seed: 5)
      let tokens = transferTokens().prefix(16).map(Int32.init)
      let targets = transferTokens().dropFirst().prefix(16).map(Int32.init)
      model.forward(tokens: tokens, targets: targets)
      model.backward()
      let full = Array(model.gradients.buffer)
      let groups = LayerGroups(parameters: model.layout.parameters, layers: 3)
      for firstBlock in 0...3 {
        model.zeroGradients()
        model.forward(tokens: tokens, targets: targets)
        model.backward(firstBlock: firstBlock)
        let from = groups.firstOffset(ofGroup: firstBlock + 1)
        let truncated = model.gradients.buffer
        XCTAssertEqual(
          Array(truncated[from...]), Array(full[from...]), "\(placement) \(firstBlock)")
        XCTAssertTrue(truncated[..<from].allSatisfy { $0 == 0 }, "\(placement) \(firstBlock)")
      }
    }
  }
}
