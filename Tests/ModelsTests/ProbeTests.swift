import Config
import Kernels
import Models
import TestSupport
import XCTest

/// The model's probes: per-block gradient norms (against the gradient buffer and against
/// finite differences of the loss) and per-sublayer update ratios (against what they must do
/// when one sublayer's output is scaled).
final class ProbeTests: XCTestCase {
  /// `blockGradientNorms` is the Frobenius norm of each block tensor of the backward's own
  /// gradient, recomputed here in Double straight from the named buffers (relative 1e-12).
  func testBlockGradientNormsAreTheNormsOfTheGradientBuffers() throws {
    for placement in Placement.allCases {
      let (model, tokens, targets) = try tinyModel(
        norm: .layernorm, placement: placement, attention: .softmax)
      model.zeroGradients()
      model.forward(tokens: tokens, targets: targets)
      model.backward()
      let blocks = model.blockGradientNorms()
      XCTAssertEqual(blocks.count, model.config.nLayers)
      for (l, block) in blocks.enumerated() {
        for (k, name) in BlockGradientNorms.tensorNames.enumerated() {
          let entry = try XCTUnwrap(model.layout.parameters.entry("h.\(l).\(name).weight"))
          let g = model.gradients[entry.offset]
          let expected = (0..<entry.count).map { Double(g[$0]) * Double(g[$0]) }
            .reduce(0, +).squareRoot()
          XCTAssertGreaterThan(expected, 0, "\(placement) h.\(l).\(name)")
          XCTAssertEqual(block.values[k], expected, accuracy: 1e-12 * expected)
        }
      }
    }
  }

  /// The norm of one layer's gradient from central finite differences of the loss, entry by
  /// entry (step 1e-2 in float: per-entry noise ~1e-4 against entries ~1e-2, so the norm
  /// agrees to 2%), equals the probe's norm of the backward's gradient.
  func testOneLayerGradientNormMatchesFiniteDifferences() throws {
    let (model, tokens, targets) = try tinyModel(
      norm: .layernorm, placement: .post, attention: .softmax)
    model.zeroGradients()
    model.forward(tokens: tokens, targets: targets)
    model.backward()
    let probed = model.blockGradientNorms()[1].mlpProjection
    let entry = try XCTUnwrap(model.layout.parameters.entry("h.1.mlp.proj.weight"))
    let w = model.parameters[entry.offset]
    let h: Float = 1e-2
    var sum: Double = 0
    for i in 0..<entry.count {
      let saved = w[i]
      w[i] = saved + h
      let up = Double(model.forward(tokens: tokens, targets: targets))
      w[i] = saved - h
      let down = Double(model.forward(tokens: tokens, targets: targets))
      w[i] = saved
      let derivative = (up - down) / Double(2 * h)
      sum += derivative * derivative
    }
    XCTAssertEqual(probed, sum.squareRoot(), accuracy: 0.02 * probed)
  }

  /// ‖f_s‖ / ‖x_s‖ is linear in the sublayer's output: doubling the output projection (weight
  /// and bias) of sublayer s doubles its ratio and leaves the earlier ratios alone; zeroing it
  /// gives 0. This holds only when the ratio reads f_s and the stream it is added to, for each
  /// placement (x_s for Pre- and Post-LN, the un-normed stream for ResiDual).
  func testUpdateRatiosFollowTheSublayerOutput() throws {
    for placement in Placement.allCases {
      for s in [1, 2] {
        let (model, tokens, targets) = try tinyModel(
          norm: .layernorm, placement: placement, attention: .softmax)
        model.forward(tokens: tokens, targets: targets, training: false)
        let before = model.sublayerUpdateRatios()
        XCTAssertEqual(before.count, 2 * model.config.nLayers)
        XCTAssertTrue(before.allSatisfy { $0 > 0 && $0.isFinite }, "\(placement) \(before)")
        let prefix = s % 2 == 0 ? "h.\(s / 2).attn.proj." : "h.\(s / 2).mlp.proj."
        scale(model, prefix, by: 2)
        model.forward(tokens: tokens, targets: targets, training: false)
        let doubled = model.sublayerUpdateRatios()
        XCTAssertEqual(doubled[s], 2 * before[s], accuracy: 1e-4 * before[s], "\(placement) s\(s)")
        for earlier in 0..<s {
          XCTAssertEqual(doubled[earlier], before[earlier], accuracy: 1e-9, "\(placement)")
        }
        scale(model, prefix, by: 0)
        model.forward(tokens: tokens, targets: targets, training: false)
        XCTAssertEqual(model.sublayerUpdateRatios()[s], 0, "\(placement) s\(s)")
      }
    }
  }

  func scale(_ model: Transformer, _ prefix: String, by factor: Float) {
    for name in ["weight", "bias"] {
      guard let entry = model.layout.parameters.entry(prefix + name) else { continue }
      let p = model.parameters[entry.offset]
      for i in 0..<entry.count { p[i] *= factor }
    }
  }

  /// Xavier draws each block matrix with std √(2/(fan_in + fan_out)) (qkv as three C × C
  /// matrices), with no depth scaling, embeddings as GPT-2's; GPT-2 scales the residual
  /// projections by 1/√(2L).
  func testXavierInitializationHasGlorotSpread() throws {
    let config = ModelConfig(dModel: 64, nHeads: 4, nLayers: 8, context: 8, initialization: .xavier)
    let model = try Transformer(config: config, batch: 1, seed: 3)
    let gpt2 = try Transformer(
      config: ModelConfig(dModel: 64, nHeads: 4, nLayers: 8, context: 8), batch: 1, seed: 3)
    func std(_ m: Transformer, _ name: String) throws -> Double {
      let entry = try XCTUnwrap(m.layout.parameters.entry(name))
      let p = m.parameters[entry.offset]
      return
        ((0..<entry.count).map { Double(p[$0]) * Double(p[$0]) }.reduce(0, +)
        / Double(entry.count)).squareRoot()
    }
    let c = 64.0
    // Sample std of ≥ 4096 normal draws: within 5% of the target.
    XCTAssertEqual(
      try std(model, "h.3.attn.qkv.weight"), (2 / (2 * c)).squareRoot(),
      accuracy: 0.05 / c.squareRoot())
    XCTAssertEqual(
      try std(model, "h.3.attn.proj.weight"), (1 / c).squareRoot(), accuracy: 0.05 / c.squareRoot())
    XCTAssertEqual(try std(model, "h.7.mlp.fc.weight"), (2 / (5 * c)).squareRoot(), accuracy: 0.004)
    XCTAssertEqual(
      try std(model, "h.7.mlp.proj.weight"), (2 / (5 * c)).squareRoot(), accuracy: 0.004)
    XCTAssertEqual(try std(model, "wte.weight"), 0.02, accuracy: 0.001)
    XCTAssertEqual(try std(model, "wpe.weight"), 0.02, accuracy: 0.002)
    XCTAssertEqual(try std(gpt2, "h.7.mlp.proj.weight"), 0.02 / 4, accuracy: 0.0003)
    XCTAssertEqual(try std(gpt2, "h.7.mlp.fc.weight"), 0.02, accuracy: 0.001)
  }
}
