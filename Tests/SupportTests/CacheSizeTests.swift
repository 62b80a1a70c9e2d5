import Support
import XCTest

/// sysfs cache sizes, and the largest cache listed.
final class CacheSizeTests: XCTestCase {
  func testSizesInEveryUnitAndNoneThatIsNotASize() {
    XCTAssertEqual(cacheSizeBytes("32768K"), 32 << 20)
    XCTAssertEqual(cacheSizeBytes("1024K"), 1 << 20)
    XCTAssertEqual(cacheSizeBytes("48K"), 48 << 10)
    XCTAssertEqual(cacheSizeBytes("1M"), 1 << 20)
    XCTAssertEqual(cacheSizeBytes("2G"), 2 << 30)
    XCTAssertEqual(cacheSizeBytes("65536"), 65536)
    for text in [
      "", "K", "0K", "-5K", "+5K", "12X", "1.5M", " 1M", "K32", "9999999999999999999G",
      "9999999999G",
    ] {
      XCTAssertNil(cacheSizeBytes(text), text)
    }
  }

  /// The largest size listed under cpu0's cache entries, whatever their order or gaps; entries
  /// that do not read as a size are passed over; none at all gives nil.
  func testLastLevelIsTheLargestEntryListed() {
    func listing(_ sizes: [Int: String]) -> (String) -> String? {
      { path in
        sizes.first { path == "/sys/devices/system/cpu/cpu0/cache/index\($0.key)/size" }?.value
      }
    }
    let zen4 = [0: "32K", 1: "32K", 2: "1024K", 3: "32768K"]
    XCTAssertEqual(lastLevelCacheBytes(read: listing(zen4)), 32 << 20)
    XCTAssertEqual(lastLevelCacheBytes(read: listing([3: "36608K", 0: "48K"])), 36608 << 10)
    XCTAssertEqual(lastLevelCacheBytes(read: listing([0: "32K", 2: "2M", 5: "junk"])), 2 << 20)
    XCTAssertEqual(lastLevelCacheBytes(read: listing([15: "8M"])), 8 << 20)
    XCTAssertNil(lastLevelCacheBytes(read: listing([:])))
    XCTAssertNil(lastLevelCacheBytes(read: listing([0: "", 1: "?"])))
  }

  /// This machine's sysfs, where it lists caches: at least an L2's worth.
  func testThisMachinesLastLevelCache() throws {
    guard let bytes = lastLevelCacheBytes() else {
      XCTAssertNil(kernelFileText("/sys/devices/system/cpu/cpu0/cache/index0/size"))
      return
    }
    XCTAssertGreaterThanOrEqual(bytes, 256 << 10)
  }
}
