import Foundation
import Support
import XCTest

/// The hold on a folder: one holder at a time, released when the holder is released or its
/// process dies (a `kill -9` leaves no stale lock), and not inherited by launched processes.
final class DirectoryLockTests: XCTestCase {
  var folder = ""

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "lock-\(UUID().uuidString)"
    try FileSystem.createDirectories(folder)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: folder)
  }

  func testOneHolderAtATime() throws {
    var first: DirectoryLock? = try DirectoryLock.take(folder, holder: "a test")
    XCTAssertEqual(first?.isHeld, true)
    XCTAssertTrue(DirectoryLock.isHeldElsewhere(folder))
    XCTAssertThrowsError(try DirectoryLock.take(folder, holder: "a test")) { error in
      XCTAssertEqual(
        "\(error)", "cannot lock \"\(folder)\": it is in use by another process (a test)")
    }
    first = nil
    XCTAssertFalse(DirectoryLock.isHeldElsewhere(folder))
    XCTAssertEqual(try DirectoryLock.take(folder, holder: "a test").isHeld, true)
    XCTAssertNil(first)
  }

  /// What is not an existing folder is refused with the system's reason; nothing is created.
  func testWhatIsNotAFolderIsRefused() throws {
    let file = folder + "/file"
    try AtomicFile.write(text: "x", to: file)
    for (path, reason) in [
      (folder + "/missing", "No such file or directory"), (file, "Not a directory"),
    ] {
      XCTAssertThrowsError(try DirectoryLock.take(path, holder: "a test")) { error in
        XCTAssertEqual("\(error)", "cannot lock \"\(path)\": \(reason)")
      }
      XCTAssertFalse(DirectoryLock.isHeldElsewhere(path))
    }
    XCTAssertEqual(try FileSystem.entries(of: folder), ["file"])
  }

  /// Another process's hold (util-linux `flock`, the same flock(2)) refuses ours until that
  /// process is killed; then the kernel has released it.
  func testAKilledHolderLeavesNoStaleLock() throws {
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
    // --no-fork: flock becomes `sleep` itself, so one process holds the folder.
    holder.arguments = ["--no-fork", "--exclusive", folder, "sleep", "60"]
    try holder.run()
    defer { if holder.isRunning { holder.terminate() } }
    let started = Date()
    while !DirectoryLock.isHeldElsewhere(folder) && Date().timeIntervalSince(started) < 10 {
      Thread.sleep(forTimeInterval: 0.05)
    }
    XCTAssertThrowsError(try DirectoryLock.take(folder, holder: "a test"))
    kill(holder.processIdentifier, SIGKILL)
    holder.waitUntilExit()
    let released = Date()
    while DirectoryLock.isHeldElsewhere(folder) && Date().timeIntervalSince(released) < 10 {
      Thread.sleep(forTimeInterval: 0.05)
    }
    XCTAssertEqual(try DirectoryLock.take(folder, holder: "a test").isHeld, true)
  }

  /// A dry run's question holds the folder shared for an instant: another asker (here util-linux
  /// `flock --shared`, standing for the second rank of a 2-worker dry run) does not make the
  /// folder "in use", and a writer that meets an asker's hold waits it out instead of refusing.
  func testAskersDoNotRefuseEachOtherNorAWriter() throws {
    let marker = folder + "/asking"
    let asker = try startSharedHolder(touching: marker, thenSleeping: "60")
    defer { if asker.isRunning { asker.terminate() } }
    try waitFor(marker)
    XCTAssertFalse(DirectoryLock.isHeldElsewhere(folder), "an asker counted as a writer")
    asker.terminate()
    asker.waitUntilExit()
    try FileManager.default.removeItem(atPath: marker)

    // Held shared for 0.3 s, less than the writer's wait (1 s): the writer gets the folder.
    let briefAsker = try startSharedHolder(touching: marker, thenSleeping: "0.3")
    defer { if briefAsker.isRunning { briefAsker.terminate() } }
    try waitFor(marker)
    XCTAssertEqual(try DirectoryLock.take(folder, holder: "a test").isHeld, true)
  }

  private func startSharedHolder(touching marker: String, thenSleeping seconds: String) throws
    -> Process
  {
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
    holder.arguments = [
      "--no-fork", "--shared", folder, "/bin/sh", "-c", "touch \"$1\" && exec sleep $2", "sh",
      marker, seconds,
    ]
    try holder.run()
    return holder
  }

  private func waitFor(_ path: String) throws {
    let started = Date()
    while !FileManager.default.fileExists(atPath: path) {
      guard Date().timeIntervalSince(started) < 10 else {
        throw FileError("start", "flock --shared", reason: "no \(path) after 10 s")
      }
      Thread.sleep(forTimeInterval: 0.01)
    }
  }

  /// A process started while we hold the folder does not hold it after we let go.
  func testLaunchedProcessesDoNotInheritTheHold() throws {
    var lock: DirectoryLock? = try DirectoryLock.take(folder, holder: "a test")
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/sleep")
    child.arguments = ["30"]
    try child.run()
    defer { child.terminate() }
    lock = nil
    XCTAssertNil(lock)
    XCTAssertFalse(DirectoryLock.isHeldElsewhere(folder), "the child inherited the hold")
  }
}
