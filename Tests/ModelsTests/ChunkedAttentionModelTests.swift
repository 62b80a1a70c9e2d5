import Config
import Models
import TestSupport
import XCTest

/// The linear kinds train through chunkwise kernels (`model.chunk`): whole models with several
/// chunks per sequence pass finite differences, and the chunk changes neither the parameters
/// nor, beyond float rounding, the loss or any gradient, so checkpoints written before the
/// kernels were chunked load and give the same loss.
final class ChunkedAttentionModelTests: XCTestCase {
  /// Loss and gradients of two chunkings differ by float summation order only: measured about
  /// 1e-7 relative; 1e-5 is the kernels' own bound (ChunkedLinearAttentionTests).
  static let chunkingTolerance: Float = 1e-5

  /// Context 5 in chunks of 2: three chunks, the last ragged, so the carried state and its
  /// gradient reach every parameter.
  func testSeveralChunksMatchFiniteDifferences() throws {
    for attention in [AttentionKind.linear, .fastweight] {
      try checkGradients(
        norm: .layernorm, placement: .pre, attention: attention, context: 5, chunk: 2)
    }
  }

  func testChunkChangesNeitherParametersNorLoss() throws {
    for attention in [AttentionKind.linear, .fastweight] {
      var results: [(loss: Float, parameters: [Float], gradients: [Float])] = []
      for chunk in [1, 3, 8, 1000] {
        let (model, tokens, targets) = try tinyModel(
          norm: .layernorm, placement: .pre, attention: attention, context: 19, chunk: chunk)
        model.zeroGradients()
        let loss = model.forward(tokens: tokens, targets: targets)
        model.backward()
        let parameters = Array(
          UnsafeBufferPointer(start: model.parameters[0], count: model.parameters.count))
        let gradients = Array(
          UnsafeBufferPointer(start: model.gradients[0], count: model.gradients.count))
        results.append((loss, parameters, gradients))
      }
      let whole = results.last!
      for (chunk, result) in zip([1, 3, 8], results) {
        let label = "\(attention) chunk=\(chunk) vs one chunk"
        XCTAssertEqual(result.parameters, whole.parameters, label)
        let lossError = abs(result.loss - whole.loss) / abs(whole.loss)
        let gradientError = maxRelativeError(result.gradients, whole.gradients)
        print("\(label): loss \(lossError), gradients \(gradientError)")
        XCTAssertLessThan(lossError, Self.chunkingTolerance, label)
        XCTAssertLessThan(gradientError, Self.chunkingTolerance, label)
      }
    }
  }
}
