import Datasets
import XCTest

final class CorpusReadingTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws { directory = try TemporaryDirectory() }
  override func tearDown() { directory.remove() }

  func testFortuneEntriesBetweenPercentLines() throws {
    let file = try directory.write(
      "jokes", "First entry\n  second line\n%\n%\nSecond entry\n\n%\n \n%\nThird\r\n%\r\nLast")
    XCTAssertEqual(
      try CorpusReader.documents(at: file).map { String(decoding: $0, as: UTF8.self) },
      ["First entry\n  second line", "Second entry", "Third", "Last"])
  }

  func testPercentInsideALineIsText() {
    let bytes = Array("100% sure\n%%\n% not a separator\n".utf8)
    let documents = Documents.split(bytes, onlyFile: false)
    XCTAssertEqual(
      documents.map { String(decoding: $0, as: UTF8.self) },
      [
        "100% sure\n%%\n% not a separator"
      ])
  }

  func testOnlyPlainFileSplitsIntoParagraphs() throws {
    let file = try directory.write("book.txt", "One.\nStill one.\n\n\nTwo.\n \t\nThree.\n")
    let corpus = try Corpus.load(path: file, valFraction: 0.5)
    XCTAssertEqual(corpus.files, 1)
    XCTAssertEqual(corpus.documents, 3)
    let all = documents(of: corpus.train) + documents(of: corpus.validation)
    XCTAssertEqual(Set(all), ["One.\nStill one.", "Two.", "Three."])
  }

  func testPlainFilesAmongOthersAreOneDocumentEach() throws {
    try directory.write("a.txt", "One.\n\nStill the same document.\n")
    try directory.write("b.txt", "Another.\n")
    let documents = try CorpusReader.documents(at: directory.path)
    XCTAssertEqual(
      documents.map { String(decoding: $0, as: UTF8.self) },
      ["One.\n\nStill the same document.", "Another."])
  }

  func testDirectorySkipsCompanionsHiddenFilesAndSubdirectories() throws {
    try directory.write("zeta", "z1\n%\nz2\n%\n")
    try directory.write("alpha", "a1\n%\na2\n")
    try directory.write("alpha.dat", bytes: [0, 0, 0, 2, 0, 0, 0, 1, 0xFF])
    try directory.link("alpha.u8", to: "alpha")
    try directory.write(".hidden", "h1\n%\nh2\n")
    try directory.makeDirectory("off")
    try directory.write("off/rot13", "b1\n%\nb2\n")
    try directory.write("Mid", "m1\n%\n")
    let files = try CorpusReader.textFiles(at: directory.path)
    XCTAssertEqual(files, ["Mid", "alpha", "zeta"].map { directory.path + "/" + $0 })
    let documents = try CorpusReader.documents(at: directory.path + "/")
    XCTAssertEqual(
      documents.map { String(decoding: $0, as: UTF8.self) }, ["m1", "a1", "a2", "z1", "z2"])
  }

  func testStreamSeparatesDocuments() {
    let stream = Corpus.stream([Array("ab".utf8), Array("c".utf8)])
    XCTAssertEqual(String(decoding: stream, as: UTF8.self), "ab\n%\nc\n%\n")
    XCTAssertEqual(Corpus.separator, Array("\n%\n".utf8))
  }

  func testLatin1TextIsAccepted() throws {
    let latin1: [UInt8] =
      Array("caf".utf8) + [0xE9] + Array(" au lait, na".utf8) + [0xEF]
      + Array("ve question, d".utf8) + [0xE9] + Array("j".utf8) + [0xE0] + Array(" vu\n".utf8)
    let file = try directory.write("latin1", bytes: latin1)
    XCTAssertEqual(try CorpusReader.documents(at: file), [Array(latin1.dropLast())])
  }

  func testLoadWholeStreamsEveryDocument() throws {
    try directory.write("f", "a\n%\nb\n%\nc\n")
    XCTAssertEqual(
      String(decoding: try Corpus.loadWhole(path: directory.path), as: UTF8.self),
      "a\n%\nb\n%\nc\n%\n")
  }
}
