import Support
import XCTest

/// sysfs cache sizes, and the largest cache of this machine.
final class CacheSizeTests: XCTestCase {
  func testSizesInEveryUnitAndNoneThatIsNotASize() {
    XCTAssertEqual(cacheSizeBytes("32768K"), 32 << 20)
    XCTAssertEqual(cacheSizeBytes("1024K"), 1 << 20)
    XCTAssertEqual(cacheSizeBytes("48K"), 48 << 10)
    XCTAssertEqual(cacheSizeBytes("1M"), 1 << 20)
    XCTAssertEqual(cacheSizeBytes("2G"), 2 << 30)
    XCTAssertEqual(cacheSizeBytes("65536"), 65536)
    for text in [
      "", "K", "0K", "-5K", "12X", "1.5M", " 1M", "K32", "9999999999999999999G", "9999999999G",
    ] {
      XCTAssertNil(cacheSizeBytes(text), text)
    }
  }

  /// Where sysfs lists caches, the largest is at least an L2's worth; elsewhere nil.
  func testLastLevelCacheIsTheLargestListed() throws {
    let folder = "/sys/devices/system/cpu/cpu0/cache"
    guard FileManager.default.fileExists(atPath: folder + "/index0/size") else {
      XCTAssertNil(lastLevelCacheBytes())
      return
    }
    let bytes = try XCTUnwrap(lastLevelCacheBytes())
    XCTAssertGreaterThanOrEqual(bytes, 256 << 10)
    let listed = try FileManager.default.contentsOfDirectory(atPath: folder)
      .filter { $0.hasPrefix("index") }
      .compactMap { try? String(contentsOfFile: "\(folder)/\($0)/size", encoding: .utf8) }
      .compactMap { cacheSizeBytes($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    XCTAssertEqual(bytes, listed.max())
  }
}
