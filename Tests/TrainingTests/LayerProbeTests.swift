import Config
import Datasets
import Distributed
import Models
import Training
import XCTest

/// `LayerProbe` averages, per block tensor and per sublayer, what the model's own probes give
/// batch by batch, on the batches the sampler of the same seed draws.
final class LayerProbeTests: XCTestCase {
  func testProbeAveragesThePerBatchNormsOfTheBackward() throws {
    let config = ModelConfig(dModel: 16, nHeads: 2, nLayers: 3, context: 8, placement: .post)
    let tokens = (0..<4000).map { UInt8(truncatingIfNeeded: ($0 * 7919) % 251 + ($0 / 13)) }
    let model = try Transformer(config: config, batch: 4, seed: 5)
    let result = LayerProbe.measure(
      model: model, tokens: tokens, seed: 11, steps: 3,
      communicator: SingleProcessCommunicator())
    XCTAssertEqual(result.layers, 3)
    XCTAssertEqual(result.batches, 3)
    XCTAssertEqual(result.updateRatios.count, 6)

    var sampler = BatchSampler(tokens: tokens, context: 8, seed: 11)
    var inputs = [Int32](repeating: 0, count: 32)
    var targets = [Int32](repeating: 0, count: 32)
    var sums = [[Double]](repeating: [Double](repeating: 0, count: 3), count: 4)
    var loss: Double = 0
    for _ in 0..<3 {
      sampler.nextBatch(
        globalBatch: 4, rank: 0, workers: 1, inputs: &inputs, targets: &targets)
      model.zeroGradients()
      loss += Double(model.forward(tokens: inputs, targets: targets))
      model.backward()
      for (l, block) in model.blockGradientNorms().enumerated() {
        for k in 0..<4 { sums[k][l] += block.values[k] / 3 }
      }
    }
    XCTAssertEqual(result.loss, loss / 3, accuracy: 1e-6)
    for (k, name) in BlockGradientNorms.tensorNames.enumerated() {
      let probed = try XCTUnwrap(result.gradientNorms[name])
      for l in 0..<3 {
        XCTAssertEqual(probed[l], sums[k][l], accuracy: 1e-9 * sums[k][l], "\(name) block \(l)")
      }
    }
  }
}
