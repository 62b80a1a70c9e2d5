import Config
import Kernels
import TestSupport
import XCTest

@testable import Models

/// The linear kinds train through chunkwise kernels (`model.chunk`): whole models with several
/// chunks per sequence pass finite differences, and the chunk changes neither the parameters
/// nor, beyond float rounding, the loss or any gradient, so checkpoints written before the
/// kernels were chunked load and give the same loss. For `fastweight_sum` the model is also
/// run with its former T x T mixer swapped in (`ParallelSumRuleMixer`).
final class ChunkedAttentionModelTests: XCTestCase {
  /// Loss and gradients of two chunkings differ by float summation order only: measured about
  /// 1e-7 relative; 1e-5 is the kernels' own bound (ChunkedLinearAttentionTests).
  static let chunkingTolerance: Float = 1e-5

  /// Context 5 in chunks of 2: three chunks, the last ragged, so the carried state and its
  /// gradient reach every parameter.
  func testSeveralChunksMatchFiniteDifferences() throws {
    for attention in [AttentionKind.linear, .fastweight, .fastweightSum] {
      try checkGradients(
        norm: .layernorm, placement: .pre, attention: attention, context: 5, chunk: 2)
    }
  }

  func testChunkChangesNeitherParametersNorLoss() throws {
    for attention in [AttentionKind.linear, .fastweight, .fastweightSum] {
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

  /// A fastweight_sum model's loss and every gradient under the chunked mixer (three chunks,
  /// the last ragged) equal those under the T x T mixer it trained through before (the
  /// parameters are the same tensors): old checkpoints give the same loss.
  func testSumRuleMatchesItsFormerParallelMixer() throws {
    let (model, tokens, targets) = try tinyModel(
      norm: .layernorm, placement: .pre, attention: .fastweightSum, context: 19, chunk: 8)
    func lossAndGradients() -> (Float, [Float]) {
      model.zeroGradients()
      let loss = model.forward(tokens: tokens, targets: targets)
      model.backward()
      return (
        loss,
        Array(UnsafeBufferPointer(start: model.gradients[0], count: model.gradients.count))
      )
    }
    let (chunkedLoss, chunkedGradients) = lossAndGradients()
    for i in model.attention.indices {
      model.attention[i].mixer = ParallelSumRuleMixer(
        batch: model.batch, time: 19, channels: model.config.dModel,
        heads: model.config.nHeads)
    }
    let (parallelLoss, parallelGradients) = lossAndGradients()
    let lossError = abs(chunkedLoss - parallelLoss) / abs(parallelLoss)
    let gradientError = maxRelativeError(chunkedGradients, parallelGradients)
    print("fastweight_sum chunked vs T x T mixer: loss \(lossError), gradients \(gradientError)")
    XCTAssertLessThan(lossError, Self.chunkingTolerance)
    XCTAssertLessThan(gradientError, Self.chunkingTolerance)
  }
}

/// The mixer `fastweight_sum` trained through before it was chunked: the T x T kernels
/// `fastWeightSumAttentionForward` / `...Backward`, with buffers of its own.
final class ParallelSumRuleMixer: AttentionMixer {
  static func savedShapes(batch b: Int, time t: Int, channels c: Int, heads nh: Int)
    -> [NamedShape]
  { [] }
  static func scratchCount(batch b: Int, time t: Int, channels c: Int, heads nh: Int, chunk: Int)
    -> Int
  { 0 }
  static func stateCount(context t: Int, channels c: Int, heads nh: Int) -> Int { 0 }
  static func rowScratchCount(context t: Int, channels c: Int, heads nh: Int) -> Int { 0 }

  let (batch, time, channels, heads): (Int, Int, Int, Int)
  let saved, scratch: TestTensor

  init(batch b: Int, time t: Int, channels c: Int, heads nh: Int) {
    (batch, time, channels, heads) = (b, t, c, nh)
    saved = TestTensor(count: fastWeightSumSavedCount(batch: b, time: t, channels: c, heads: nh))
    scratch = TestTensor(count: fastWeightSumScratchCount(time: t, headSize: c / nh))
  }

  convenience init(_ b: AttentionBinding) {
    self.init(batch: b.batch, time: b.time, channels: b.channels, heads: b.heads)
  }

  func forward(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>
  ) {
    fastWeightSumAttentionForward(
      out: out, saved: saved.pointer, qkv: qkv, batch: batch, time: time, channels: channels,
      heads: heads)
  }

  func backward(
    dqkv: UnsafeMutablePointer<Float>, dout: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>
  ) {
    dqkv.update(repeating: 0, count: batch * time * 3 * channels)
    fastWeightSumAttentionBackward(
      dqkv: dqkv, dout: dout, saved: saved.pointer, qkv: qkv, scratch: scratch.pointer,
      batch: batch, time: time, channels: channels, heads: heads)
  }

  func step(
    out: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
    inp: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>,
    scratch: UnsafeMutablePointer<Float>, position: Int
  ) {
    fastWeightSumAttentionStep(out: out, state: state, qkv: qkv, channels: channels, heads: heads)
  }
}
