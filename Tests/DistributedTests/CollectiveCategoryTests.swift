import Distributed
import XCTest

final class CollectiveCategoryTests: XCTestCase {
  /// The names are the keys of summary.json's "comm" object.
  func testNamesMatchTheSummaryKeys() {
    XCTAssertEqual(
      CollectiveCategory.allCases.map(\.rawValue), ["gradients", "norm_stats", "control"])
  }
}
