import Datasets
import XCTest

final class DataErrorTests: XCTestCase {
  func testMessageIsOneLineWithPrefix() {
    let error = DataError("cannot read \"/x\": No such file or directory")
    XCTAssertEqual("\(error)", "data: cannot read \"/x\": No such file or directory")
  }
}
