import XCTest

@testable import Kernels

/// The attention part of the step's floor (AttentionProductsAlone.swift): its FLOP count and
/// its timings.
final class AttentionProductsAloneTests: XCTestCase {
  /// T = 16, hs = 16: query tiles at 0 and 8 see 8 and 16 keys, both rounded to one vector
  /// (16). Q·Kᵀ and dY·Vᵀ: 2 tiles · 8·16·16 each; P·V and dS·K: 8·8·16 + 8·16·16 each; Pᵀ·dY
  /// and dSᵀ·Q: key tiles at 0 and 8 are read by 16 and 8 rows, 8·16·16 + 8·8·16 each.
  func testMultiplyAddsAreTheLoopsOwnCount() {
    let byHand =
      2 * (2 * 8 * 16 * 16) + 2 * (8 * 8 * 16 + 8 * 16 * 16) + 2 * (8 * 16 * 16 + 8 * 8 * 16)
    XCTAssertEqual(
      AttentionProductsAlone.multiplyAddsPerHead(time: 16, headSize: 16), Double(byHand))
    // Between the causal half (T(T+1)/2 entries per product) and the full square products.
    for (t, hs) in [(32, 16), (128, 32), (256, 64)] {
      let count = AttentionProductsAlone.multiplyAddsPerHead(time: t, headSize: hs)
      XCTAssertGreaterThanOrEqual(count, Double(6 * t * (t + 1) / 2 * hs), "T \(t)")
      XCTAssertLessThan(count, Double(6 * t * t * hs), "T \(t)")
    }
  }

  /// Timings positive and finite, the best no slower than the mean, the FLOPs B·H heads' worth.
  func testTimesOneLayer() {
    let (b, t, c, nh) = (2, 32, 64, 2)
    let alone = AttentionProductsAlone(batch: b, time: t, channels: c, heads: nh, repeats: 3)
    XCTAssertTrue(alone.seconds.isFinite && alone.seconds > 0)
    XCTAssertTrue(alone.cpuSeconds.isFinite && alone.cpuSeconds > 0)
    XCTAssertLessThanOrEqual(alone.cpuSeconds, alone.meanCPUSeconds * (1 + 1e-12))
    XCTAssertEqual(
      alone.flops,
      2 * Double(b * nh) * AttentionProductsAlone.multiplyAddsPerHead(time: t, headSize: c / nh))
  }
}
