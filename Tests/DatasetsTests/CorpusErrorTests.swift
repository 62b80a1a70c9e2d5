import Datasets
import Support
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// Each bad input is refused with exactly one line that names the path.
final class CorpusErrorTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws { directory = try TemporaryDirectory() }
  override func tearDown() { directory.remove() }

  private func assertRefused(
    _ path: String, valFraction: Double = 0.1, _ expected: String,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertThrowsError(try Corpus.load(path: path, valFraction: valFraction)) { error in
      let message = "\(error)"
      XCTAssertEqual(message, expected, file: file, line: line)
      XCTAssertFalse(message.contains("\n"), "not one line", file: file, line: line)
      XCTAssert(error is DataError, "\(type(of: error))", file: file, line: line)
    }
  }

  func testMissingPath() {
    let path = directory.path + "/missing"
    assertRefused(path, "data: cannot read \"\(path)\": No such file or directory")
  }

  func testUnreadableFile() throws {
    let loop = try directory.link("loop", to: "loop")
    assertRefused(loop, "data: cannot read \"\(loop)\": Too many levels of symbolic links")
    let dangling = try directory.link("dangling", to: "nowhere")
    assertRefused(
      directory.path, "data: cannot read \"\(dangling)\": No such file or directory")
  }

  func testFileWithoutReadPermission() throws {
    try XCTSkipIf(geteuid() == 0, "root reads any file")
    let file = try directory.write("secret", "text\n")
    chmod(file, 0)
    assertRefused(file, "data: cannot read \"\(file)\": Permission denied")
  }

  /// A name Swift would decode with U+FFFD (so that no file has it) is named as what it is,
  /// wherever it sorts among the folder's names.
  func testFileNameThatIsNotUTF8() throws {
    _ = try directory.write("a.txt", "some text\n")
    for name in [[0x62, 0xFE, 0x64], [0xC3], [0x7A, 0xED, 0xA0, 0x80]] as [[UInt8]] {
      let path = Array(directory.path.utf8) + [0x2F] + name
      let descriptor = open(path.map { CChar(bitPattern: $0) } + [0], O_CREAT | O_WRONLY, 0o644)
      XCTAssertGreaterThanOrEqual(descriptor, 0)
      close(descriptor)
      let shown = directory.path + "/" + String(decoding: name, as: UTF8.self)
      assertRefused(
        directory.path,
        "data: cannot read \"\(shown)\": its name is not valid UTF-8 (file names are read as "
          + "UTF-8); rename it")
      unlink(path.map { CChar(bitPattern: $0) } + [0])
    }
  }

  func testNeitherFileNorDirectory() {
    assertRefused("/dev/null", "data: \"/dev/null\" is neither a file nor a directory")
  }

  func testDirectoryWithoutUsableFiles() throws {
    try directory.write("art.dat", bytes: [0, 0, 0, 2])
    try directory.link("art.u8", to: "art")
    try directory.write(".hidden", "text\n")
    try directory.makeDirectory("off")
    assertRefused(
      directory.path,
      "data: \"\(directory.path)\" holds no text files (subdirectories, hidden files and the "
        + ".dat and .u8 companions of fortune files are skipped)")
  }

  func testEmptyCorpus() throws {
    try directory.write("empty", "")
    try directory.write("separators", "%\n\n%\n  \n%\n")
    assertRefused(
      directory.path,
      "data: \"\(directory.path)\" holds no text: its files are empty or hold only blank lines "
        + "and % lines")
  }

  func testBinaryFileWithNul() throws {
    try directory.write("a", "fine\n")
    let file = try directory.write("b", bytes: [0x41, 0x42, 0x43, 0, 0x44])
    assertRefused(
      directory.path, "data: \"\(file)\" is binary, not text: it has a NUL byte at offset 3")
  }

  func testBinaryFileOfInvalidUTF8() throws {
    let file = try directory.write("noise", bytes: (0..<200).map { UInt8(0x80 + $0 % 0x80) })
    assertRefused(
      file, "data: \"\(file)\" is binary, not text: 100% of its 200 bytes are not valid UTF-8")
  }

  func testRandomBytesWithoutNulAreBinary() throws {
    var random = RandomNumbers(seed: 1)
    let bytes = (0..<4096).map { _ in UInt8(1 + random.nextInt(below: 255)) }
    let file = try directory.write("random", bytes: bytes)
    XCTAssertThrowsError(try Corpus.load(path: file, valFraction: 0.1)) { error in
      let message = "\(error)"
      XCTAssert(message.hasPrefix("data: \"\(file)\" is binary, not text: "), message)
      XCTAssert(message.hasSuffix("% of its 4096 bytes are not valid UTF-8"), message)
    }
  }

  func testFractionOutsideTheUnitInterval() throws {
    let file = try directory.write("f", "a\n%\nb\n")
    for fraction in [0, 1, -0.5, 1.5] {
      assertRefused(
        file, valFraction: fraction,
        "data: data.val_fraction = \(fraction) is not allowed; expected a fraction in (0, 1)")
    }
  }

  func testSplitShorterThanOneWindow() throws {
    let all = (0..<40).map { "Entry number \($0) with some words in it." }
    try directory.write("f", all.joined(separator: "\n%\n"))
    // A vanishing fraction holds out exactly one document, of about 45 tokens.
    let corpus = try Corpus.load(path: directory.path, valFraction: 1e-12)
    XCTAssertEqual(corpus.validationDocuments, 1)
    XCTAssert(corpus.validation.count < 65 && corpus.train.count > 65, corpus.summary)
    XCTAssertNoThrow(try corpus.check(context: 8))
    XCTAssertThrowsError(try corpus.check(context: 64)) { error in
      XCTAssertEqual(
        "\(error)",
        "data: the validation split of \"\(directory.path)\" has \(corpus.validation.count) "
          + "tokens, fewer than one context window of 65; use more data or a larger "
          + "data.val_fraction")
    }
    XCTAssertThrowsError(try corpus.check(context: 100_000)) { error in
      XCTAssertEqual(
        "\(error)",
        "data: the training split of \"\(directory.path)\" has \(corpus.train.count) tokens, "
          + "fewer than one context window of 100001; use more data or a smaller "
          + "data.val_fraction")
    }
  }

  func testPathWithControlCharactersStaysOneLine() {
    let path = directory.path + "/new\nline"
    assertRefused(
      path, "data: cannot read \"\(directory.path)/new\\nline\": No such file or directory")
  }
}
