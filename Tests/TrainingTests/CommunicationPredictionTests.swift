import Config
import Distributed
import Models
import Training
import XCTest

/// What a step sends, predicted without building a model, against the model's own layout.
final class CommunicationPredictionTests: XCTestCase {
  let algorithms = AllReduceAlgorithms(twoWorkers: AllReduceCostModel(alpha: 1e-6, beta: 1e-9))

  func run(norm: NormKind, bucketMB: Double = 25, accumulation: Int = 1) -> RunConfig {
    var run = RunConfig()
    run.model = ModelConfig(dModel: 32, nHeads: 4, nLayers: 3, context: 16, norm: norm)
    run.train.gradAccum = accumulation
    run.distributed.bucketMB = bucketMB
    return run
  }

  func testGradientBytesAreTheParameterBytesInBuckets() {
    let config = run(norm: .layernorm, bucketMB: 0.01)  // 2,621 floats per bucket
    let prediction = CommunicationPrediction(run: config, workers: 4, algorithms: algorithms)
    let parameterBytes = 4 * ModelLayout(config.model).parameters.totalCount
    XCTAssertEqual(prediction.gradientBytes, parameterBytes)
    XCTAssertGreaterThan(prediction.gradientCalls, 1)
    let buckets = GradientBuckets.bucketBytes(model: config.model, bucketMB: 0.01)
    XCTAssertEqual(prediction.gradientCalls, buckets.count)
    XCTAssertEqual(
      prediction.gradientSeconds,
      buckets.map { algorithms.ring(workers: 4, bytes: $0) }.reduce(0, +), accuracy: 1e-15)
  }

  func testOnlySyncBatchNormSendsStatistics() {
    for norm in [NormKind.layernorm, .rmsnorm, .batchnorm, .none] {
      let prediction = CommunicationPrediction(
        run: run(norm: norm), workers: 8, algorithms: algorithms)
      XCTAssertEqual(prediction.normStatisticsCalls, 0, "\(norm)")
      XCTAssertEqual(prediction.normStatisticsBytes, 0, "\(norm)")
      XCTAssertEqual(prediction.normStatisticsSeconds, 0, "\(norm)")
    }
  }

  /// 2 calls per norm layer and micro-step; 4(2C+1) + 8C bytes each pair.
  func testSyncBatchNormStatisticsPerNormLayerAndMicroStep() {
    let config = run(norm: .syncbatchnorm, accumulation: 2)
    let layers = ModelLayout(config.model).normLayerCount  // 2 · 3 blocks + norm_f = 7
    XCTAssertEqual(layers, 7)
    let prediction = CommunicationPrediction(run: config, workers: 4, algorithms: algorithms)
    XCTAssertEqual(prediction.normStatisticsCalls, 2 * layers * 2)
    XCTAssertEqual(prediction.normStatisticsBytes, layers * 2 * (4 * 65 + 4 * 64))
    let pair =
      algorithms.recursiveDoubling(workers: 4, bytes: 260)
      + algorithms.recursiveDoubling(workers: 4, bytes: 256)
    XCTAssertEqual(prediction.normStatisticsSeconds, Double(layers * 2) * pair, accuracy: 1e-15)
  }

  func testOneWorkerSendsNothing() {
    let prediction = CommunicationPrediction(
      run: run(norm: .syncbatchnorm), workers: 1, algorithms: algorithms)
    XCTAssertEqual(prediction.gradientCalls + prediction.normStatisticsCalls, 0)
    XCTAssertEqual(prediction.gradientSeconds + prediction.normStatisticsSeconds, 0)
  }
}
