import Config
import Models
import TestSupport
import XCTest

/// Token-by-token generation against the parallel forward: the same sums in another order,
/// through up to 4 layers and a softmax over 256 bytes.
let generationTolerance: Float = 2e-5

final class GeneratorTests: XCTestCase {
  /// Every attention kind and placement, with norms that need no batch (BatchNorm runs on its
  /// running statistics here, as in evaluation).
  func testStepByStepMatchesParallelForward() throws {
    for attention in AttentionKind.allCases {
      for (norm, placement) in [
        (NormKind.layernorm, Placement.pre), (.rmsnorm, .post), (.batchnorm, .residual),
        (.none, .pre),
      ] {
        let config = ModelConfig(
          dModel: 16, nHeads: 2, nLayers: 2, context: 12, norm: norm, placement: placement,
          attention: attention)
        let model = try Transformer(config: config, batch: 1, seed: 5)
        var rng = SplitMix64(seed: 17)
        for i in 0..<model.parameters.count {  // larger weights than the 0.02 initialization
          model.parameters.pointer[i] += 0.3 * (rng.nextUnitFloat() - 0.5)
        }
        let tokens = (0..<12).map { _ in Int32(rng.next() % 256) }
        model.forward(tokens: tokens, targets: tokens, training: false)
        let parallel = (0..<12).map { position in
          Array(
            UnsafeBufferPointer(
              start: model.nextTokenProbabilities(sequence: 0, position: position), count: 256))
        }
        let generator = Generator(model: model)
        for (position, token) in tokens.enumerated() {
          let stepped = Array(UnsafeBufferPointer(start: generator.step(token: token), count: 256))
          let error = maxRelativeError(stepped, parallel[position])
          XCTAssertLessThan(
            error, generationTolerance, "\(attention)/\(norm)/\(placement) position \(position)")
        }
      }
    }
  }
}
