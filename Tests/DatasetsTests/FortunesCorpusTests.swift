import Datasets
import XCTest

/// The default corpus, when the Debian `fortunes` packages are installed.
final class FortunesCorpusTests: XCTestCase {
  func testFortunesDirectoryLoads() throws {
    let path = "/usr/share/games/fortunes"
    var isDirectory: ObjCBool = false
    try XCTSkipUnless(
      FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        && isDirectory.boolValue, "\(path) is not installed")
    let corpus = try Corpus.load(path: path, valFraction: 0.1)
    print("fortunes: \(corpus.summary)")
    XCTAssert((1000..<100_000).contains(corpus.documents), corpus.summary)
    XCTAssertGreaterThan(corpus.train.count, 100_000)
    XCTAssertGreaterThan(corpus.validation.count, 100_000)
    XCTAssertNoThrow(try corpus.check(context: 64))
    let share = Double(corpus.validationDocuments) / Double(corpus.documents)
    XCTAssert((0.08...0.12).contains(share), "validation holds \(share) of the documents")
  }
}
