import Datasets
import XCTest

/// `data.labels_per_class`: a deterministic, nested subset of each class's training documents,
/// chosen by content hash; validation and test untouched.
final class LabelsPerClassTests: XCTestCase {
  var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("labels-\(ProcessInfo.processInfo.processIdentifier)-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    // Three classes of 40, 25 and 7 entries.
    for (name, count) in [("a", 40), ("b", 25), ("c", 7)] {
      let entries = (0..<count).map { "entry \($0) of class \(name), said nobody\n" }
      try entries.joined(separator: "%\n").write(
        to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

  func load(_ classes: [String] = ["a", "b", "c"]) throws -> ClassificationCorpus {
    try ClassificationCorpus.load(
      directory: directory.path, classes: classes, valFraction: 0.1, testFraction: 0.2)
  }

  func perClass(_ corpus: ClassificationCorpus) -> [Int] {
    corpus.classes.indices.map { label in corpus.train.filter { $0.label == label }.count }
  }

  func testSubsetsAreNestedPerClassAndLeaveHeldOutSplitsAlone() throws {
    let corpus = try load()
    let whole = perClass(corpus)
    var previous: Set<[UInt8]> = []
    for n in [1, 3, 5, 10, 100] {
      let limited = corpus.limitingTraining(perClass: n)
      XCTAssertEqual(perClass(limited), whole.map { min($0, n) }, "n = \(n)")
      XCTAssertEqual(limited.validation, corpus.validation)
      XCTAssertEqual(limited.test, corpus.test)
      let kept = Set(limited.train.map(\.bytes))
      XCTAssertTrue(previous.isSubset(of: kept), "the subset for \(n) holds the smaller ones")
      XCTAssertTrue(kept.isSubset(of: Set(corpus.train.map(\.bytes))))
      previous = kept
    }
    XCTAssertEqual(corpus.limitingTraining(perClass: 0).train, corpus.train)
  }

  /// The subset depends on content only: loading the classes in another order keeps the same
  /// documents, and it is not the first documents of the split's own order.
  func testSubsetIsChosenByContentNotOrder() throws {
    let forward = try load().limitingTraining(perClass: 4)
    let backward = try load(["c", "b", "a"]).limitingTraining(perClass: 4)
    XCTAssertEqual(Set(forward.train.map(\.bytes)), Set(backward.train.map(\.bytes)))
    let corpus = try load()
    let firstByPosition = corpus.train.filter { $0.label == 0 }
      .sorted { DocumentSplit.position($0.bytes) < DocumentSplit.position($1.bytes) }.prefix(4)
    XCTAssertNotEqual(
      Set(firstByPosition.map(\.bytes)),
      Set(forward.train.filter { $0.label == 0 }.map(\.bytes)),
      "the label order is a second hash, not the split's position")
  }
}
