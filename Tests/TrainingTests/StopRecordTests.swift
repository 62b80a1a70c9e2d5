import Foundation
import Training
import XCTest

/// The file a rank leaves for `launch/ddp` when it stops on a signal with a checkpoint (the
/// script's side is `FailureTests.testASignalToTheWholeProcessGroupExits75`).
final class StopRecordTests: XCTestCase {
  func testWritesOneFilePerRankInTheNamedDirectory() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("stop-record-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: folder) }
    let environment = [StopRecord.environmentKey: folder.path]
    StopRecord.write(rank: 0, environment: environment)
    StopRecord.write(rank: 3, environment: environment)
    StopRecord.write(rank: 3, environment: environment)
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    XCTAssertEqual(names, ["rank-0", "rank-3"])
  }

  /// Without the variable (a plain run, or `mpirun` without the script), empty, or naming a
  /// directory that is gone: nothing is written and nothing fails.
  func testWritesNothingWithoutAUsableDirectory() throws {
    let gone = FileManager.default.temporaryDirectory
      .appendingPathComponent("stop-record-gone-\(UUID().uuidString)")
    for environment in [
      [:], [StopRecord.environmentKey: ""], [StopRecord.environmentKey: gone.path],
    ] {
      StopRecord.write(rank: 1, environment: environment)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: gone.path))
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: "rank-1"), "nothing in the working directory")
  }
}
