import Config
import Kernels
import Models
import TestSupport
import XCTest

/// Whole-model finite differences in float. The loss (~5.5 nats) is rounded to one ulp,
/// 4.8e-7, which the fourth-order stencil below (step h = 1e-2) turns into at most
/// 1.5·ulp/h ≈ 7e-5 of noise per entry; its truncation error is O(h⁴) ≈ 1e-8. Errors are
/// measured against the tensor's largest gradient, but at least `modelGradientFloor`, so a
/// tensor whose true gradient is zero (a bias followed only by BatchNorms, which remove
/// per-channel shifts) is held to 1e-4 absolute: above the noise, far below any real gradient
/// here (1e-2 … 1e-1 with the scaled-up weights below). A missing or wrong term in a backward
/// shows as errors of 1e-1 or more.
let modelGradientTolerance: Float = 1e-2
let modelGradientFloor: Float = 1e-2

/// A tiny model with weights scaled up from the 0.02 initialization, so every parameter has a
/// gradient well above float noise, and random norm weights, biases and tokens. `context` and
/// `chunk` (of the chunkwise linear kinds) default to one chunk of 4 positions.
func tinyModel(
  norm: NormKind, placement: Placement, attention: AttentionKind, context: Int = 4,
  chunk: Int = 64
) throws -> (Transformer, [Int32], [Int32]) {
  let config = ModelConfig(
    dModel: 8, nHeads: 2, nLayers: 2, context: context, norm: norm, placement: placement,
    attention: attention, chunk: chunk)
  let model = try Transformer(config: config, batch: 2, seed: 7)
  var rng = SplitMix64(seed: 99)
  scaleUpParameters(of: model, rng: &rng)
  let n = 2 * config.context
  let tokens = (0..<n).map { _ in Int32(rng.next() % 256) }
  let targets = (0..<n).map { _ in Int32(rng.next() % 256) }
  return (model, tokens, targets)
}

/// Overwrites every parameter of `model` from `rng`, tensor by tensor in layout order: norm
/// weights uniform in [0.6, 1.4], other vectors (biases, BatchNorm shifts) in [−0.2, 0.2],
/// matrices in [−0.4, 0.4] (the initialization draws them with std 0.02), so that every
/// gradient stands well above float noise.
func scaleUpParameters(of model: Transformer, rng: inout SplitMix64) {
  for entry in model.layout.parameters.entries {
    let p = model.parameters[entry.offset]
    let isNormWeight = entry.isVector && entry.name.hasSuffix(".weight")
    for i in 0..<entry.count {
      let u = rng.nextUnitFloat()
      p[i] = isNormWeight ? 0.6 + 0.8 * u : (entry.isVector ? 0.4 * (u - 0.5) : 0.8 * (u - 0.5))
    }
  }
}

final class ModelGradientTests: XCTestCase {
  /// Every parameter tensor of every norm × placement × attention combination.
  func testEveryCombinationMatchesFiniteDifferences() throws {
    for norm in NormKind.allCases {
      for placement in Placement.allCases {
        for attention in AttentionKind.allCases {
          try checkGradients(norm: norm, placement: placement, attention: attention)
        }
      }
    }
  }
}

/// Every parameter tensor of one tiny model (`tinyModel`) against the fourth-order stencil.
func checkGradients(
  norm: NormKind, placement: Placement, attention: AttentionKind, context: Int = 4,
  chunk: Int = 64
) throws {
  let (model, tokens, targets) = try tinyModel(
    norm: norm, placement: placement, attention: attention, context: context, chunk: chunk)
  let label = "\(norm)/\(placement)/\(attention) T=\(context) chunk=\(chunk)"
  model.zeroGradients()
  model.forward(tokens: tokens, targets: targets)
  model.backward()
  var worst: (Float, String) = (0, "")
  for entry in model.layout.parameters.entries {
    let view = model.parameters[entry.offset]
    let analytic = Array(
      UnsafeBufferPointer(
        start: model.gradients[entry.offset],
        count: entry.count))
    var numeric = [Float](repeating: 0, count: entry.count)
    let h: Float = 1e-2
    for i in 0..<entry.count {
      let saved = view[i]
      let at = { (x: Float) -> Double in
        view[i] = x
        return Double(model.forward(tokens: tokens, targets: targets))
      }
      // f'(x) ≈ (8·(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))) / 12h
      let near = at(saved + h) - at(saved - h)
      let far = at(saved + 2 * h) - at(saved - 2 * h)
      view[i] = saved
      numeric[i] = Float((8 * near - far) / (12 * Double(h)))
    }
    let error = maxRelativeError(analytic, numeric, floor: modelGradientFloor)
    if error > worst.0 { worst = (error, entry.name) }
    XCTAssertLessThan(error, modelGradientTolerance, "\(label) \(entry.name)")
  }
  print("gradient check \(label): max relative error \(worst.0) (\(worst.1))")
}

final class ModelShapeTests: XCTestCase {
  func testRefusesHeadsThatDoNotDivide() {
    let config = ModelConfig(dModel: 10, nHeads: 4)
    XCTAssertThrowsError(try Transformer(config: config, batch: 1, seed: 1)) { error in
      XCTAssertEqual(
        "\(error)",
        "model: d_model = 10 is not divisible by n_heads = 4; each head needs d_model / n_heads"
          + " channels")
    }
  }

  func testRefusesZeroSizes() {
    for config in [ModelConfig(nLayers: 0), ModelConfig(context: 0), ModelConfig(nHeads: 0)] {
      XCTAssertThrowsError(try Transformer(config: config, batch: 1, seed: 1)) { error in
        XCTAssertTrue("\(error)".contains("must be a positive integer"), "\(error)")
      }
    }
    XCTAssertThrowsError(try Transformer(config: ModelConfig(), batch: 0, seed: 1))
  }

  /// The parameter count of GPT-2-style blocks: 12C² + 13C per block, plus embeddings and norms.
  func testLayoutNamesAndCounts() throws {
    let config = ModelConfig(dModel: 16, nHeads: 4, nLayers: 3, context: 8, norm: .layernorm)
    let model = try Transformer(config: config, batch: 1, seed: 1)
    let c = 16
    let blocks = 3 * (12 * c * c + 9 * c + 4 * c)
    XCTAssertEqual(model.parameterCount, 256 * c + 8 * c + blocks + 2 * c)
    XCTAssertEqual(model.layout.parameters.entry("h.2.attn.qkv.weight")?.shape, [3 * c, c])
    XCTAssertEqual(model.layout.parameters.entry("h.0.mlp.proj.weight")?.shape, [c, 4 * c])
    XCTAssertNotNil(model.layout.parameters.entry("norm_f.bias"))
    let post = try Transformer(
      config: ModelConfig(dModel: 16, nHeads: 4, nLayers: 1, norm: .batchnorm, placement: .post),
      batch: 1, seed: 1)
    XCTAssertNil(post.layout.parameters.entry("norm_f.weight"))
    XCTAssertEqual(post.layout.buffers.entry("h.0.norm_2.running_var")?.shape, [c])
  }

  /// Initialization follows DESIGN.md: std 0.02, proj weights 0.02/√(2L), biases 0, norms 1.
  func testInitializationStatistics() throws {
    let config = ModelConfig(dModel: 64, nHeads: 4, nLayers: 2, context: 16)
    let model = try Transformer(config: config, batch: 1, seed: 3)
    func std(_ name: String) -> Double {
      let e = model.layout.parameters.entry(name)!
      let p = model.parameters[e.offset]
      let values = (0..<e.count).map { Double(p[$0]) }
      return (values.map { $0 * $0 }.reduce(0, +) / Double(e.count)).squareRoot()
    }
    XCTAssertEqual(std("h.0.mlp.fc.weight"), 0.02, accuracy: 0.001)
    XCTAssertEqual(std("h.1.attn.proj.weight"), 0.01, accuracy: 0.001)
    XCTAssertEqual(std("h.0.attn.qkv.bias"), 0)
    XCTAssertEqual(model.parameters.view("h.1.norm_2.weight")[5], 1)
  }
}
