import Foundation
import Support
import XCTest

/// The one file layer: atomic writes replace what is there, reads refuse anything but a
/// regular file before reading a byte (a FIFO would block), directory listings are sorted.
final class FileSystemTests: XCTestCase {
  var folder = ""

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "support-\(UUID().uuidString)"
    try FileSystem.createDirectories(folder + "/a/b")
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: folder)
  }

  /// Writing over an existing file (a resumed run's summary.json) replaces it and leaves no
  /// temporary file: the Foundation write this replaced failed there.
  func testAtomicWriteReplacesAnExistingFile() throws {
    let path = folder + "/summary.json"
    for text in ["first\n", "second, longer\n", ""] {
      try AtomicFile.write(text: text, to: path)
      XCTAssertEqual(String(decoding: try FileSystem.contents(of: path), as: UTF8.self), text)
    }
    XCTAssertEqual(try FileSystem.entries(of: folder), ["a", "summary.json"])
  }

  /// A body that throws leaves neither the file nor its temporary behind.
  func testAtomicWriteThatFailsLeavesNothing() throws {
    struct Stop: Error {}
    let path = folder + "/partial"
    XCTAssertThrowsError(
      try AtomicFile.write(to: path) { file in
        try file.write(Array("half".utf8))
        throw Stop()
      })
    XCTAssertEqual(try FileSystem.entries(of: folder), ["a"])
  }

  /// A FIFO, a device, a directory or a symbolic link where the file would go is refused
  /// before anything is written: the rename would replace the node itself. (`probe --out
  /// /dev/null` once turned the system's /dev/null into a regular file.)
  func testAtomicWriteRefusesWhatIsNotARegularFile() throws {
    let fifo = folder + "/fifo"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    let link = folder + "/link"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: folder + "/x")
    // A device node of our own (root can make one), never the system's /dev/null.
    let device = folder + "/null"
    let madeDevice = mknod(device, S_IFCHR | 0o666, 0x103) == 0  // major 1, minor 3
    for (path, reason) in [
      (fifo, "it is not a regular file (a device, FIFO or socket)"),
      (device, "it is not a regular file (a device, FIFO or socket)"),
      (folder + "/a", "it is a directory"),
      (link, "it is a symbolic link; give the file it points to"),
    ] where path != device || madeDevice {
      XCTAssertThrowsError(try AtomicFile.write(text: "x", to: path)) { error in
        XCTAssertEqual("\(error)", "cannot write \"\(path)\": \(reason)")
      }
    }
    var info = stat()
    for (path, kind) in [(fifo, S_IFIFO), (device, S_IFCHR)] where path != device || madeDevice {
      XCTAssertEqual(lstat(path, &info), 0)
      XCTAssertEqual(info.st_mode & S_IFMT, kind, path)
    }
    XCTAssertEqual(
      try FileSystem.entries(of: folder), ["a", "fifo", "link"] + (madeDevice ? ["null"] : []))
  }

  /// A write into a missing directory names the temporary path and the system's reason.
  func testAtomicWriteIntoMissingDirectoryNamesThePath() {
    let path = folder + "/missing/file"
    XCTAssertThrowsError(try AtomicFile.write(text: "x", to: path)) { error in
      XCTAssertEqual(
        "\(error)",
        "cannot create \"\(path).tmp-\(getpid())\": No such file or directory")
    }
  }

  /// FIFOs, devices and directories are refused at once, by kind, not read.
  func testReadsRefuseWhatIsNotARegularFile() throws {
    let fifo = folder + "/fifo"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    for (path, reason) in [
      (fifo, "not a regular file"), ("/dev/null", "not a regular file"),
      (folder + "/a", "it is a directory, not a file"),
      (folder + "/none", "No such file or directory"),
    ] {
      XCTAssertThrowsError(try FileSystem.contents(of: path)) { error in
        XCTAssertEqual("\(error)", "cannot read \"\(path)\": \(reason)")
      }
    }
    XCTAssertEqual(FileSystem.existingKind(of: fifo), .other)
    XCTAssertNil(FileSystem.existingKind(of: folder + "/none"))
  }

  /// Entries come back sorted by their bytes, without `.` and `..`.
  func testEntriesAreSortedByBytes() throws {
    try FileSystem.createDirectories(folder + "/c")
    for name in ["b", "B", "a", "é"] { try AtomicFile.write(text: name, to: folder + "/c/" + name) }
    XCTAssertEqual(try FileSystem.entries(of: folder + "/c"), ["B", "a", "b", "é"])
    XCTAssertEqual(try FileSystem.entries(of: folder + "/a"), ["b"])
  }

  /// `mkdir -p` that fails part way (a name too long, a file in the way) removes the parents it
  /// made and keeps those that were there; it returns what it made.
  func testCreatingFoldersThatFailsPartWayLeavesNothing() throws {
    let long = String(repeating: "n", count: 300)
    try AtomicFile.write(text: "x", to: folder + "/file")
    for path in [
      "new/" + long, "new/b/c/" + long, "a/b/new/" + long, "new/../file/c", "new/" + long + "/c",
      "a/new/x/file/../" + long,
    ] {
      XCTAssertThrowsError(try FileSystem.createDirectories(folder + "/" + path), path)
      XCTAssertEqual(try FileSystem.entries(of: folder), ["a", "file"], path)
      XCTAssertEqual(try FileSystem.entries(of: folder + "/a"), ["b"], path)
      XCTAssertEqual(try FileSystem.entries(of: folder + "/a/b"), [], path)
    }
    XCTAssertEqual(
      try FileSystem.createDirectories(folder + "/a/b/c/d"),
      [folder + "/a/b/c", folder + "/a/b/c/d"])
    XCTAssertEqual(try FileSystem.createDirectories(folder + "/a/b/c/d"), [])
  }

  /// A name over 255 bytes, in the file or in a folder of its path, is refused before any work,
  /// as the write or mkdir after it would be.
  func testNamesTooLongAreRefusedBeforeTheWork() throws {
    let long = String(repeating: "n", count: 256)
    for path in [folder + "/" + long, folder + "/" + long + "/x.json", folder + "/a/" + long] {
      XCTAssertThrowsError(
        try FileSystem.requireWritableTarget(
          path, replacing: true, hint: "", folderMustExist: false)
      ) { error in
        XCTAssertTrue(
          "\(error)".hasSuffix("a name in it is 256 bytes, over the 255 allowed"), "\(error)")
      }
      XCTAssertThrowsError(try FileSystem.requireCreatableFolder(path))
    }
    let fits = String(repeating: "n", count: 255)
    XCTAssertNoThrow(
      try FileSystem.requireWritableTarget(folder + "/" + fits, replacing: true, hint: ""))
    XCTAssertNoThrow(try FileSystem.requireCreatableFolder(folder + "/" + fits))
  }
}
