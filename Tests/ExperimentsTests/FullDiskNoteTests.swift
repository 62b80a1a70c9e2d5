import Foundation
import XCTest

@testable import Experiments

/// A job that failed on a full disk could not write its own error line into its log (on the
/// same disk): the sweep's line says what most likely happened, and says nothing of the kind
/// when the log has the job's line or the disk has room.
final class FullDiskNoteTests: XCTestCase {
  func testAFailedJobWithAnEmptyLogOnAFullDiskIsNamed() throws {
    try XCTSkipUnless(getuid() == 0, "mounting a small file system needs root")
    let mount = NSTemporaryDirectory() + "full-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
    XCTAssertEqual(try shell("mount -t tmpfs -o size=4m tmpfs '\(mount)'"), 0)
    defer {
      _ = try? shell("umount '\(mount)'")
      try? FileManager.default.removeItem(atPath: mount)
    }
    let empty = mount + "/empty.log"
    let named = mount + "/named.log"
    FileManager.default.createFile(atPath: empty, contents: nil)
    FileManager.default.createFile(
      atPath: named, contents: Data("ddp: cannot write \"x\": Read-only file system\n".utf8))
    func failure(_ log: String) -> String {
      do { try JobLauncher.requireSuccess(1, job: "point", log: log) } catch { return "\(error)" }
      return "no error"
    }
    XCTAssertFalse(failure(empty).contains("No space left"), "a disk with room")
    // Fill the disk to its last block.
    _ = try? shell("dd if=/dev/zero of='\(mount)/filler' bs=4k 2>/dev/null")
    let unexplained = failure(empty)
    XCTAssertTrue(unexplained.contains("see \(empty) (its log holds no error line"), unexplained)
    XCTAssertTrue(unexplained.contains("No space left on device, most likely)"), unexplained)
    let explained = failure(named)
    XCTAssertFalse(explained.contains("No space left"), explained)
    XCTAssertTrue(explained.contains("Read-only file system"), explained)
  }

  private func shell(_ command: String) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
  }
}
