import Datasets
import XCTest

final class ValidationWindowsTests: XCTestCase {
  func testCountIsNonOverlappingWholeWindows() {
    let cases: [(tokens: Int, context: Int, windows: Int)] = [
      (0, 3, 0), (1, 3, 0), (3, 3, 0), (4, 3, 1), (9, 3, 2), (10, 3, 3), (11, 3, 3), (65, 64, 1),
    ]
    for c in cases {
      let windows = ValidationWindows(
        tokens: [UInt8](repeating: 1, count: c.tokens), context: c.context)
      XCTAssertEqual(windows.count, c.windows, "\(c.tokens) tokens, context \(c.context)")
    }
  }

  func testFillCopiesConsecutiveWindows() {
    let windows = ValidationWindows(tokens: Array(0..<10), context: 3)
    var inputs = [Int32](repeating: -1, count: 6)
    var targets = [Int32](repeating: -1, count: 6)
    inputs.withUnsafeMutableBufferPointer { x in
      targets.withUnsafeMutableBufferPointer { y in
        windows.fill(windows: 1..<3, inputs: x.baseAddress!, targets: y.baseAddress!)
      }
    }
    XCTAssertEqual(inputs, [3, 4, 5, 6, 7, 8])
    XCTAssertEqual(targets, [4, 5, 6, 7, 8, 9])
  }

  func testShardsAreContiguousBalancedAndInRankOrder() {
    XCTAssertEqual(
      (0..<3).map { ValidationWindows.shard(0..<10, rank: $0, workers: 3) },
      [0..<4, 4..<7, 7..<10])
    XCTAssertEqual(
      (0..<4).map { ValidationWindows.shard(5..<7, rank: $0, workers: 4) },
      [5..<6, 6..<7, 7..<7, 7..<7])
    for workers in 1...5 {
      let shards = (0..<workers).map { ValidationWindows.shard(3..<20, rank: $0, workers: workers) }
      XCTAssertEqual(shards.flatMap { Array($0) }, Array(3..<20))
      XCTAssertLessThanOrEqual(shards.map(\.count).max()! - shards.map(\.count).min()!, 1)
    }
  }
}
