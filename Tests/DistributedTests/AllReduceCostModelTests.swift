import Distributed
import XCTest

final class AllReduceCostModelTests: XCTestCase {
  /// Exact data on a line are fitted exactly (up to rounding of the weighted sums).
  func testFitRecoversAnExactLine() throws {
    let truth = AllReduceCostModel(alpha: 2e-6, beta: 0.25e-9)
    let sizes = (0...24).map { 4 << $0 }
    let times = sizes.map { truth.seconds(bytes: $0) }
    let model = try XCTUnwrap(AllReduceCostModel.fit(bytes: sizes, seconds: times))
    // Relative tolerance: the weighted means of 25 doubles lose a few ulps each.
    let tolerance = 1e-9
    XCTAssertEqual(model.alpha, truth.alpha, accuracy: truth.alpha * tolerance)
    XCTAssertEqual(model.beta, truth.beta, accuracy: truth.beta * tolerance)
    XCTAssertEqual(model.maximumRelativeError(bytes: sizes, seconds: times), 0, accuracy: 1e-9)
  }

  /// Relative weights keep α positive and close to the small-message latency even when the
  /// largest sizes are noisy; unweighted least squares would be thrown off by milliseconds.
  func testFitIsNotSwampedByLargeSizes() throws {
    let truth = AllReduceCostModel(alpha: 1e-6, beta: 0.2e-9)
    let sizes = (0...24).map { 4 << $0 }
    // ±5% noise, alternating, on every size.
    let times = sizes.enumerated().map { i, size in
      truth.seconds(bytes: size) * (i % 2 == 0 ? 1.05 : 0.95)
    }
    let model = try XCTUnwrap(AllReduceCostModel.fit(bytes: sizes, seconds: times))
    // Twice the noise: each parameter is fixed by sizes whose times are off by 5%.
    let tolerance = 0.1
    XCTAssertEqual(model.alpha, truth.alpha, accuracy: truth.alpha * tolerance)
    XCTAssertEqual(model.beta, truth.beta, accuracy: truth.beta * tolerance)
  }

  func testFitOfDegenerateData() throws {
    XCTAssertNil(AllReduceCostModel.fit(bytes: [], seconds: []))
    XCTAssertNil(AllReduceCostModel.fit(bytes: [4], seconds: [0]))
    let single = try XCTUnwrap(AllReduceCostModel.fit(bytes: [64, 64], seconds: [3e-6, 3e-6]))
    XCTAssertEqual(single.beta, 0)
    XCTAssertEqual(single.alpha, 3e-6, accuracy: 1e-18)
  }

  /// busbw = n/t · 2(N − 1)/N (nccl-tests PERFORMANCE.md).
  func testBusBandwidth() {
    let bytes = 1 << 20
    let seconds = 1e-3
    let algbw = AllReduceCostModel.algorithmBandwidth(bytes: bytes, seconds: seconds)
    XCTAssertEqual(algbw, Double(bytes) / seconds)
    XCTAssertEqual(AllReduceCostModel.busBandwidth(bytes: bytes, seconds: seconds, workers: 1), 0)
    XCTAssertEqual(
      AllReduceCostModel.busBandwidth(bytes: bytes, seconds: seconds, workers: 2), algbw)
    XCTAssertEqual(
      AllReduceCostModel.busBandwidth(bytes: bytes, seconds: seconds, workers: 4), algbw * 1.5)
    XCTAssertEqual(AllReduceCostModel.busBandwidth(bytes: bytes, seconds: 0, workers: 4), 0)
  }
}

/// The two-regime fit keeps both ends of a bent curve right.
final class AllReduceRegimeFitTests: XCTestCase {
  /// A transport that is a line of slope 0.2 ns/B up to 256 KiB and 0.5 ns/B beyond (a
  /// protocol switch): α is the small-message latency, β the large-message slope.
  func testRegimesFollowEachEnd() throws {
    let sizes = (0...24).map { 4 << $0 }
    let times = sizes.map { n in
      n < 262_144 ? 2e-6 + 0.2e-9 * Double(n) : 2e-6 + 0.5e-9 * Double(n)
    }
    let model = try XCTUnwrap(AllReduceCostModel.fitRegimes(bytes: sizes, seconds: times))
    // The median of the sizes ≤ 1 KiB (4…1024 B) is the 64 B time: 2 µs + 12.8 ps.
    XCTAssertEqual(model.alpha, 2e-6 + 0.2e-9 * 64, accuracy: 1e-15)
    XCTAssertEqual(model.beta, 0.5e-9, accuracy: 0.5e-9 * 1e-3)
    // One line through all sizes misses the 64 MiB time by far more.
    let single = try XCTUnwrap(AllReduceCostModel.fit(bytes: sizes, seconds: times))
    let n = sizes.last!
    let truth = times.last!
    XCTAssertLessThan(abs(model.seconds(bytes: n) - truth) / truth, 0.01)
    XCTAssertGreaterThan(abs(single.seconds(bytes: n) - truth) / truth, 0.2)
  }

  /// Without large sizes there is no bandwidth regime: the single-line fit is used.
  func testFallsBackWithoutLargeSizes() throws {
    let sizes = [4, 64, 1024, 8192]
    let times = sizes.map { 1e-6 + 0.3e-9 * Double($0) }
    XCTAssertEqual(
      AllReduceCostModel.fitRegimes(bytes: sizes, seconds: times),
      AllReduceCostModel.fit(bytes: sizes, seconds: times))
  }
}
