import Datasets
import Support
import XCTest

/// Recall episodes decode back to what they promise: S pairs, a query among the written keys,
/// the answer the value stored last under it, loss on the answer alone; and data-parallel
/// shards of episode batches are exactly the one-worker batch.
final class RecallEpisodesTests: XCTestCase {
  /// One episode as (keys, values, query key, answer target, targets).
  func draw(_ task: RecallEpisodes, rng: inout RandomNumbers)
    -> (keys: [Int], values: [Int], query: Int, answer: Int32, targets: [Int32])
  {
    var inputs = [Int32](repeating: 0, count: task.length)
    var targets = [Int32](repeating: 0, count: task.length)
    inputs.withUnsafeMutableBufferPointer { x in
      targets.withUnsafeMutableBufferPointer { y in
        task.fill(inputs: x.baseAddress!, targets: y.baseAddress!, rng: &rng)
      }
    }
    let pairs = inputs.prefix(task.pairs).map(Int.init)
    for token in pairs { XCTAssertLessThan(token, task.keys * task.values) }
    let query = Int(inputs[task.pairs]) - task.keys * task.values
    XCTAssertTrue((0..<task.keys).contains(query), "query token \(inputs[task.pairs])")
    return (
      pairs.map { $0 / task.values }, pairs.map { $0 % task.values }, query,
      targets[task.pairs], targets
    )
  }

  func testDistinctKeysAndTheStoredAnswer() throws {
    let task = RecallEpisodes(pairs: 16, keys: 32, values: 7, overwrite: false)
    XCTAssertNil(task.problem)
    XCTAssertEqual(task.length, 17)
    var rng = RandomNumbers(seed: 3)
    var answers = Set<Int32>()
    for _ in 0..<200 {
      let e = draw(task, rng: &rng)
      XCTAssertEqual(Set(e.keys).count, 16, "setting 1 keys are distinct")
      let index = try XCTUnwrap(e.keys.firstIndex(of: e.query))
      XCTAssertEqual(e.answer, Int32(e.values[index]))
      XCTAssertEqual(e.targets.dropLast(), Array(repeating: RecallEpisodes.ignored, count: 16))
      answers.insert(e.answer)
    }
    XCTAssertEqual(answers, Set((0..<7).map(Int32.init)), "every value is an answer")
  }

  /// Setting 2: keys repeat, and the answer is the value written under the query key last.
  func testOverwriteAnswersTheLatestValue() throws {
    let task = RecallEpisodes(pairs: 16, keys: 32, values: 7, overwrite: true)
    var rng = RandomNumbers(seed: 4)
    var repeatedQueries = 0
    for _ in 0..<200 {
      let e = draw(task, rng: &rng)
      XCTAssertLessThanOrEqual(Set(e.keys).count, 8, "a pool of S/2 keys")
      let last = try XCTUnwrap(e.keys.lastIndex(of: e.query))
      XCTAssertEqual(e.answer, Int32(e.values[last]))
      if e.keys.filter({ $0 == e.query }).count > 1 { repeatedQueries += 1 }
    }
    XCTAssertGreaterThan(repeatedQueries, 100, "most queries ask for an overwritten key")
  }

  func testImpossibleSettingsAreNamed() {
    XCTAssertNotNil(RecallEpisodes(pairs: 0, keys: 32, values: 7, overwrite: false).problem)
    XCTAssertNotNil(RecallEpisodes(pairs: 40, keys: 32, values: 7, overwrite: false).problem)
    XCTAssertNil(RecallEpisodes(pairs: 40, keys: 32, values: 7, overwrite: true).problem)
    XCTAssertNotNil(RecallEpisodes(pairs: 4, keys: 32, values: 8, overwrite: false).problem)
  }

  /// Two workers' shards of episode batches, in rank order, are the one-worker batch.
  func testShardsOfEpisodeBatchesAreTheOneWorkerBatch() {
    let task = RecallEpisodes(pairs: 5, keys: 32, values: 7, overwrite: false)
    let tokens = [UInt8](repeating: 65, count: 100)
    func sampler() -> BatchSampler {
      var s = BatchSampler(tokens: tokens, context: task.length, seed: 11)
      s.episodes = task
      return s
    }
    func batch(_ s: inout BatchSampler, rank: Int, workers: Int) -> [Int32] {
      let count = 8 / workers * task.length
      var x = [Int32](repeating: 0, count: count)
      var y = [Int32](repeating: 0, count: count)
      x.withUnsafeMutableBufferPointer { x in
        y.withUnsafeMutableBufferPointer { y in
          s.nextBatch(
            globalBatch: 8, rank: rank, workers: workers, inputs: x.baseAddress!,
            targets: y.baseAddress!)
        }
      }
      return x + y
    }
    var one = sampler()
    var (zero, first) = (sampler(), sampler())
    for _ in 0..<3 {
      let whole = batch(&one, rank: 0, workers: 1)
      let a = batch(&zero, rank: 0, workers: 2)
      let b = batch(&first, rank: 1, workers: 2)
      let n = 4 * task.length
      // whole = inputs (8 rows) + targets (8 rows); a, b = inputs (4 rows) + targets (4 rows).
      XCTAssertEqual(Array(whole[0..<(2 * n)]), Array(a[0..<n] + b[0..<n]))
      XCTAssertEqual(Array(whole[(2 * n)...]), Array(a[n...] + b[n...]))
      XCTAssertTrue(zero.state == one.state)
      XCTAssertTrue(first.state == one.state)
    }
  }
}
