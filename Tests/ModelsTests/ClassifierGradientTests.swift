import Config
import Kernels
import TestSupport
import XCTest

@testable import Models

/// The whole model with the classifier head against finite differences, every parameter
/// tensor (head and body), with tolerances as ``modelGradientTolerance`` explains.
///
/// Max pooling and the ReLU make the loss piecewise smooth: a perturbation that moves a
/// max-pool winner or a hidden unit across 0 puts a kink inside the stencil (measured: errors up
/// to 0.4 at steps of 1e-2 and 3e-3). Such entries are detected (the winners and the ReLU
/// pattern differ from the unperturbed ones) and skipped, at most a tenth of them; every other
/// entry is compared. Step ``step``: 3e-3 keeps kinks rare while the float rounding of the loss
/// (~1.2e-7, 1.5 ulp / step ≈ 6e-5 per entry) stays far below the 1e-2 tolerance.
let step: Float = 3e-3

/// The scale floor of ``maxRelativeError`` at ``step``. The stencil's rounding noise grows as
/// 1 / step, so the floor of ``modelGradientFloor`` (set for steps of 1e-2) grows with it: a
/// tensor whose true gradient is 0 (a bias followed only by BatchNorms) is held to
/// 1e-2 · 1e-2 / 3e-3 ≈ 3.3e-4 absolute. At 1e-4 the bound sat at the noise itself: rounding
/// changes in the GELU that moved no real gradient measured 1.03e-4 and 1.09e-4 at
/// batchnorm/residual `h.0.mlp.proj.bias`. Real gradients here are 1e-2 … 1e-1.
let classifierGradientFloor: Float = modelGradientFloor * 1e-2 / step
final class ClassifierGradientTests: XCTestCase {
  func testClassifierBackwardMatchesFiniteDifferences() throws {
    for placement in Placement.allCases {
      for norm in [NormKind.layernorm, .rmsnorm, .batchnorm] {
        try check(norm: norm, placement: placement)
      }
    }
  }

  func check(norm: NormKind, placement: Placement) throws {
    var config = ModelConfig(
      dModel: 8, nHeads: 2, nLayers: 2, context: 5, norm: norm, placement: placement)
    (config.head, config.headHidden, config.classCount) = (.classifier, 6, 3)
    let model = try Transformer(config: config, batch: 3, seed: 7)
    var rng = SplitMix64(seed: 11)
    scaleUpParameters(of: model, rng: &rng)
    let lengths: [Int32] = [5, 3, 1]  // full, padded, a single byte
    var tokens = (0..<15).map { _ in Int32(1 + rng.next() % 255) }
    for s in 0..<3 { for p in Int(lengths[s])..<5 { tokens[s * 5 + p] = 0 } }
    let labels: [Int32] = [2, 0, 1]
    model.zeroGradients()
    model.classify(tokens: tokens, lengths: lengths, labels: labels)
    model.backward()
    let label = "\(norm)/\(placement)"
    let head = try XCTUnwrap(model.classifierHead)
    /// Which position wins each max-pool and which hidden units pass the ReLU: where a
    /// perturbation changes these, the loss has a kink inside the stencil.
    func pattern() -> [Int32] {
      Array(UnsafeBufferPointer(start: head.argmax, count: 3 * 8))
        + (0..<(3 * 6)).map { head.hidden[$0] > 0 ? 1 : 0 }
    }
    let base = pattern()
    var (checked, skipped) = (0, 0)
    for entry in model.layout.parameters.entries {
      let view = model.parameters[entry.offset]
      let analytic = Array(
        UnsafeBufferPointer(start: model.gradients[entry.offset], count: entry.count))
      var numeric = analytic
      for i in 0..<entry.count {
        let saved = view[i]
        var smooth = true
        let at = { (x: Float) -> Double in
          view[i] = x
          let loss = Double(model.classify(tokens: tokens, lengths: lengths, labels: labels))
          if pattern() != base { smooth = false }
          return loss
        }
        // f'(x) ≈ (8·(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))) / 12h
        let near = at(saved + step) - at(saved - step)
        let far = at(saved + 2 * step) - at(saved - 2 * step)
        view[i] = saved
        checked += 1
        guard smooth else {
          skipped += 1
          continue
        }
        numeric[i] = Float((8 * near - far) / (12 * Double(step)))
      }
      let error = maxRelativeError(analytic, numeric, floor: classifierGradientFloor)
      XCTAssertLessThan(error, modelGradientTolerance, "\(label) \(entry.name)")
    }
    print("classifier gradient check \(label): \(skipped) of \(checked) entries at a kink")
    XCTAssertLessThan(skipped * 10, checked, "\(label): too many kinks for a meaningful check")
    XCTAssertNotNil(model.layout.parameters.entry("classifier.fc2.weight"))
    XCTAssertEqual(model.layout.parameters.entry("classifier.fc1.weight")?.shape, [6, 24])
  }

  /// Padding never reaches a document's pooled features: changing the bytes after a
  /// document's length leaves its probabilities bit for bit (causal attention, pooling over
  /// real positions).
  func testPaddingDoesNotChangeTheResult() throws {
    var config = ModelConfig(dModel: 8, nHeads: 2, nLayers: 2, context: 6)
    (config.head, config.classCount) = (.classifier, 4)
    let model = try Transformer(config: config, batch: 1, seed: 3)
    func probabilities(_ tokens: [Int32]) -> [Float] {
      model.classify(tokens: tokens, lengths: [3], labels: [1], training: false)
      return (0..<4).map { model.classProbabilities(sequence: 0)[$0] }
    }
    XCTAssertEqual(probabilities([65, 66, 67, 0, 0, 0]), probabilities([65, 66, 67, 9, 200, 31]))
  }
}
