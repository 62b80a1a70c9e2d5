import Config
import Models
import XCTest

/// The memory estimate a run is refused by (`RunConfig.footprint`) bounds what the model really
/// allocates, without overstating it much, for every attention kind and several shapes.
final class FootprintTests: XCTestCase {
  /// The estimate may exceed the model's own count by this factor at most: it sums what every
  /// attention kind saves, and each kind saves only part of it.
  static let slack = 1.6

  func testEstimateBoundsTheModelsOwnCounts() throws {
    var run = RunConfig()
    for (c, h, l, t, batch) in [(16, 2, 1, 8, 2), (64, 4, 3, 32, 4), (128, 4, 4, 64, 8)] {
      for attention in AttentionKind.allCases {
        for norm in [NormKind.layernorm, .syncbatchnorm] {
          run.model.dModel = c
          run.model.nHeads = h
          run.model.nLayers = l
          run.model.context = t
          run.model.attention = attention
          run.model.norm = norm
          let model = try Transformer(config: run.model, batch: batch, seed: 1)
          let estimate = try XCTUnwrap(run.footprint(microBatch: batch))
          let actual = 4 * model.parameterCount + model.activationCount
          let label = "C=\(c) L=\(l) T=\(t) B=\(batch) \(attention) \(norm)"
          XCTAssertGreaterThanOrEqual(estimate.parameters, model.parameterCount, label)
          XCTAssertGreaterThanOrEqual(estimate.floats, actual, label)
          XCTAssertLessThanOrEqual(Double(estimate.floats), Self.slack * Double(actual), label)
        }
      }
    }
  }

  /// fastweight_sum trains chunkwise like linear (the same saved φ and scratch bound), so at
  /// T = 8192 its estimate is linear's, while softmax's holds B·H·T² floats per layer.
  func testSumRuleHoldsNoTimeSquaredMatrix() throws {
    var run = RunConfig()
    run.model.context = 8192
    var floats: [AttentionKind: Int] = [:]
    for attention in [AttentionKind.softmax, .linear, .fastweightSum] {
      run.model.attention = attention
      floats[attention] = try XCTUnwrap(run.footprint(microBatch: 1)).floats
    }
    print("footprint at T = 8192: \(floats)")
    XCTAssertEqual(floats[.fastweightSum], floats[.linear])
    let quadratic = run.model.nLayers * run.model.nHeads * 8192 * 8192
    XCTAssertGreaterThan(
      try XCTUnwrap(floats[.softmax]), try XCTUnwrap(floats[.linear]) + quadratic)
  }

  func testSizesThatOverflowHaveNoFootprint() {
    var run = RunConfig()
    run.model.dModel = 1 << 62
    XCTAssertNil(run.footprint(microBatch: 1))
    run = RunConfig()
    XCTAssertNil(run.footprint(microBatch: Int.max / 2))
    run.train.evalBatches = Int.max
    XCTAssertNil(run.footprint(microBatch: 1))
  }
}
