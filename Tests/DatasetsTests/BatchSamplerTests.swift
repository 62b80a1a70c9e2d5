import Datasets
import Support
import XCTest

final class BatchSamplerTests: XCTestCase {
  /// A stream of random bytes.
  private let tokens: [UInt8] = {
    var random = RandomNumbers(seed: 99)
    return (0..<500).map { _ in UInt8(random.nextInt(below: 256)) }
  }()
  private let context = 8

  /// The rows (inputs, targets) of rank `rank`'s shard of the next batch.
  private func next(
    _ sampler: inout BatchSampler, batch: Int, rank: Int = 0, workers: Int = 1
  ) -> (inputs: [Int32], targets: [Int32]) {
    let count = batch / workers * context
    var inputs = [Int32](repeating: -1, count: count)
    var targets = [Int32](repeating: -1, count: count)
    inputs.withUnsafeMutableBufferPointer { x in
      targets.withUnsafeMutableBufferPointer { y in
        sampler.nextBatch(
          globalBatch: batch, rank: rank, workers: workers, inputs: x.baseAddress!,
          targets: y.baseAddress!)
      }
    }
    return (inputs, targets)
  }

  func testSameSeedSameBatches() {
    var a = BatchSampler(tokens: tokens, context: context, seed: 42)
    var b = BatchSampler(tokens: tokens, context: context, seed: 42)
    var c = BatchSampler(tokens: tokens, context: context, seed: 43)
    for _ in 0..<5 {
      let (x, y) = next(&a, batch: 4)
      let (x2, y2) = next(&b, batch: 4)
      XCTAssertEqual(x, x2)
      XCTAssertEqual(y, y2)
      XCTAssertNotEqual(x, next(&c, batch: 4).inputs)
    }
  }

  func testRestoredStateContinuesIdentically() {
    var original = BatchSampler(tokens: tokens, context: context, seed: 7)
    for _ in 0..<3 { _ = next(&original, batch: 6) }
    let saved = original.state
    var resumed = BatchSampler(tokens: tokens, context: context, state: saved)
    XCTAssert(resumed.state == saved)
    for _ in 0..<4 {
      let expected = next(&original, batch: 6)
      let actual = next(&resumed, batch: 6)
      XCTAssertEqual(actual.inputs, expected.inputs)
      XCTAssertEqual(actual.targets, expected.targets)
    }
  }

  func testShardsOfAllRanksMakeTheOneWorkerBatch() {
    for workers in [2, 4] {
      var single = BatchSampler(tokens: tokens, context: context, seed: 3)
      var ranks = (0..<workers).map { _ in BatchSampler(tokens: tokens, context: context, seed: 3) }
      for step in 0..<5 {
        let whole = next(&single, batch: 8)
        var inputs: [Int32] = []
        var targets: [Int32] = []
        for rank in 0..<workers {
          let shard = next(&ranks[rank], batch: 8, rank: rank, workers: workers)
          inputs += shard.inputs
          targets += shard.targets
        }
        XCTAssertEqual(inputs, whole.inputs, "\(workers) workers, step \(step)")
        XCTAssertEqual(targets, whole.targets, "\(workers) workers, step \(step)")
      }
      XCTAssert(ranks.allSatisfy { $0.state == single.state })
    }
  }

  func testRowsAreWindowsWithTargetsShiftedByOne() {
    var sampler = BatchSampler(tokens: tokens, context: context, seed: 11)
    let stream = tokens.map { Int32($0) }
    for _ in 0..<10 {
      let (x, y) = next(&sampler, batch: 5)
      for row in 0..<5 {
        let inputs = Array(x[row * context..<(row + 1) * context])
        let targets = Array(y[row * context..<(row + 1) * context])
        XCTAssertEqual(Array(inputs.dropFirst()), Array(targets.dropLast()))
        let isWindow = (0..<stream.count - context).contains {
          Array(stream[$0..<$0 + context]) == inputs && stream[$0 + context] == targets.last
        }
        XCTAssert(isWindow, "row \(inputs) is not a window of the stream")
      }
    }
  }

  func testStartsCoverTheWholeStream() {
    // context + 2 tokens: exactly two windows, starting at 0 and 1.
    let short: [UInt8] = Array(0..<10)
    var sampler = BatchSampler(tokens: short, context: 8, seed: 5)
    var firsts = Set<Int32>()
    for _ in 0..<20 {
      let inputs = next(&sampler, batch: 4).inputs
      firsts.formUnion(stride(from: 0, to: inputs.count, by: 8).map { inputs[$0] })
    }
    XCTAssertEqual(firsts, [0, 1])
  }
}
