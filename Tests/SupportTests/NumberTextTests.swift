import Support
import XCTest

final class NumberTextTests: XCTestCase {
  func testFixedDigits() {
    XCTAssertEqual(fmt(3.14159, 2), "3.14")
    XCTAssertEqual(fmt(-2.5, 1), "-2.5")
    XCTAssertEqual(fmt(1e-9, 3), "0.000")
    XCTAssertEqual(fmt(1234.5, 0), "1234")  // printf rounds half to even
  }

  /// Negative values that round to zero lose printf's sign; those that do not keep it.
  func testNoSignOnARoundedZero() {
    for (x, digits, text) in [
      (-0.0003, 2, "0.00"), (-0.0, 1, "0.0"), (-0.4, 0, "0"), (-1e-300, 5, "0.00000"),
      (-0.005, 2, "-0.01"), (-0.006, 2, "-0.01"), (-0.6, 0, "-1"), (-12.0, 1, "-12.0"),
    ] as [(Double, Int, String)] {
      XCTAssertEqual(fmt(x, digits), text, "fmt(\(x), \(digits))")
    }
  }

  func testNonFiniteValuesPassThrough() {
    XCTAssertEqual(fmt(.nan, 2), "nan")
    XCTAssertEqual(fmt(.infinity, 2), "inf")
    XCTAssertEqual(fmt(-.infinity, 2), "-inf")
  }

  /// One takes the singular; zero, two, many and negative counts the plural.
  func testCountedNouns() {
    for (count, noun, text) in [
      (1, "layer", "1 layer"), (0, "layer", "0 layers"), (2, "head", "2 heads"),
      (16, "worker", "16 workers"), (-1, "step", "-1 steps"), (1, "BLAS thread", "1 BLAS thread"),
      (1_000_000, "token", "1000000 tokens"),
    ] as [(Int, String, String)] {
      XCTAssertEqual(counted(count, noun), text)
    }
  }
}
