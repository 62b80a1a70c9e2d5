import Config
import Models
import XCTest

/// What each attention kind and placement type adds to the exported tensors: fastweight's β
/// projection, and `norm_f` for pre and residual only (DESIGN.md section 3).
final class AttentionAndPlacementLayoutTests: XCTestCase {
  let (c, nh) = (8, 2)

  func config(_ attention: AttentionKind, _ placement: Placement) -> ModelConfig {
    ModelConfig(
      dModel: c, nHeads: nh, nLayers: 2, context: 4, norm: .layernorm, placement: placement,
      attention: attention)
  }

  func testOnlyFastWeightHasBetaTensors() {
    for attention in AttentionKind.allCases {
      let layout = ModelLayout(config(attention, .pre))
      for i in 0..<2 {
        let weight = layout.parameters.entry("h.\(i).attn.beta.weight")
        let bias = layout.parameters.entry("h.\(i).attn.beta.bias")
        if attention == .fastweight {
          XCTAssertEqual(weight?.shape, [nh, c])
          XCTAssertEqual(bias?.shape, [nh])
        } else {
          XCTAssertNil(weight, "\(attention)")
          XCTAssertNil(bias, "\(attention)")
        }
      }
    }
  }

  func testFinalNormForPreAndResidualOnly() {
    for placement in Placement.allCases {
      let layout = ModelLayout(config(.softmax, placement))
      XCTAssertEqual(placement.hasFinalNorm, placement != .post, "\(placement)")
      XCTAssertEqual(layout.parameters.entry("norm_f.weight") != nil, placement != .post)
      XCTAssertEqual(layout.normLayerCount, 2 * 2 + (placement == .post ? 0 : 1))
    }
  }
}
