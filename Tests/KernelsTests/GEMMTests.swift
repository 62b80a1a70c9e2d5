import Kernels
import Support
import TestSupport
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// Sleeps are at least as long as asked, and on this shared machine up to tens of ms longer:
/// the exclusive phase times are checked against the sleeps from below exactly and from above
/// with this much slack.
let sleepSlack = 0.25

final class GEMMTests: XCTestCase {
  /// `sgemm` against a Double triple loop for every transpose pair, with padded row strides
  /// and beta = 0 and 1.
  func testEveryTransposeAndStrideMatchesReference() {
    let (m, n, k, pad) = (5, 7, 6, 3)
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        for beta: Float in [0, 1] {
          let lda = (transposeA ? m : k) + pad
          let ldb = (transposeB ? k : n) + pad
          let ldc = n + pad
          let a = TestTensor(count: (transposeA ? k : m) * lda, uniform: -1, 1, seed: 1)
          let b = TestTensor(count: (transposeB ? n : k) * ldb, uniform: -1, 1, seed: 2)
          let c = TestTensor(count: m * ldc, uniform: -1, 1, seed: 3)
          let before = c.array
          sgemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
            a: a.pointer, lda: lda, b: b.pointer, ldb: ldb, beta: beta, c: c.pointer, ldc: ldc)
          var worst: Double = 0
          for i in 0..<m {
            for j in 0..<n {
              var sum: Double = 0
              for p in 0..<k {
                let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                sum += Double(x) * Double(y)
              }
              let want = 0.5 * sum + Double(beta) * Double(before[i * ldc + j])
              worst = max(worst, abs(Double(c[i * ldc + j]) - want))
            }
            for j in n..<ldc {  // the padding is left alone
              XCTAssertEqual(c[i * ldc + j], before[i * ldc + j])
            }
          }
          XCTAssertLessThan(worst, Double(blasTolerance), "\(transposeA) \(transposeB) \(beta)")
        }
      }
    }
  }

  /// With a profiler installed, each call is recorded under its shape; calls of the same shape
  /// are counted together; beta = 0 and beta ≠ 0 are different shapes; nothing is recorded
  /// once the profiler is removed.
  func testProfilerRecordsShapesAndCalls() {
    let profiler = StepProfiler()
    stepProfiler = profiler
    defer { stepProfiler = nil }
    let (a, b, c) = (TestTensor(count: 64), TestTensor(count: 64), TestTensor(count: 64))
    for beta: Float in [0, 1, 1] {
      sgemm(
        transposeB: true, m: 4, n: 8, k: 2, a: a.pointer, lda: 2, b: b.pointer, ldb: 2,
        beta: beta, c: c.pointer, ldc: 8)
    }
    stepProfiler = nil
    sgemm(
      m: 4, n: 8, k: 2, a: a.pointer, lda: 2, b: b.pointer, ldb: 8, beta: 0, c: c.pointer, ldc: 8)
    let overwrite = GEMMShape(
      transposeA: false, transposeB: true, m: 4, n: 8, k: 2, accumulates: false)
    var accumulate = overwrite
    accumulate.accumulates = true
    XCTAssertEqual(Set(profiler.gemms.keys), [overwrite, accumulate])
    XCTAssertEqual(profiler.gemms[overwrite]?.calls, 1)
    XCTAssertEqual(profiler.gemms[accumulate]?.calls, 2)
    XCTAssertEqual(accumulate.description, "4×8×2 A·Bᵀ β=1")
    XCTAssertEqual(accumulate.flops, 128)
    let gemmSeconds = profiler.gemms.values.map(\.seconds).reduce(0, +)
    XCTAssertEqual(profiler.seconds[StepPhase.gemm.rawValue], gemmSeconds, accuracy: 1e-12)
    let gemmCPU = profiler.gemms.values.map(\.cpuSeconds).reduce(0, +)
    XCTAssertEqual(profiler.cpuSeconds[StepPhase.gemm.rawValue], gemmCPU, accuracy: 1e-12)
  }

  /// Nested phases are exclusive: the inner phase's time is not charged to the outer one, and
  /// time outside every phase is charged to none.
  func testNestedPhasesAreChargedExclusively() {
    let profiler = StepProfiler()
    stepProfiler = profiler
    defer { stepProfiler = nil }
    profiled(.attention) {
      usleep(20_000)
      profiled(.norms) { usleep(40_000) }
      usleep(20_000)
    }
    usleep(30_000)  // in no phase
    let attention = profiler.seconds[StepPhase.attention.rawValue]
    let norms = profiler.seconds[StepPhase.norms.rawValue]
    XCTAssertGreaterThanOrEqual(attention, 0.040)
    XCTAssertLessThan(attention, 0.040 + sleepSlack)
    XCTAssertGreaterThanOrEqual(norms, 0.040)
    XCTAssertLessThan(norms, 0.040 + sleepSlack)
    // Sleeping takes no CPU time.
    XCTAssertLessThan(profiler.cpuSeconds[StepPhase.norms.rawValue], 0.020)
    let others = StepPhase.allCases.filter { ![.attention, .norms].contains($0) }
    XCTAssertEqual(others.map { profiler.seconds[$0.rawValue] }.reduce(0, +), 0)
  }

  /// A shape timed alone takes a positive time, and a product with 8x the FLOPs takes longer.
  func testSecondsAloneGrowWithTheWork() {
    let small = GEMMShape(
      transposeA: false, transposeB: true, m: 64, n: 64, k: 64, accumulates: false)
    let large = GEMMShape(
      transposeA: false, transposeB: true, m: 128, n: 128, k: 128, accumulates: false)
    let (smallTime, largeTime) = (small.secondsAlone(repeats: 5), large.secondsAlone(repeats: 5))
    XCTAssertGreaterThan(smallTime.seconds, 0)
    XCTAssertGreaterThan(smallTime.cpuSeconds, 0)
    XCTAssertGreaterThan(largeTime.seconds, smallTime.seconds)
    XCTAssertGreaterThan(largeTime.cpuSeconds, smallTime.cpuSeconds)
  }

  /// The cold timing: a sweep before every call, the warm-up's included; the same positive
  /// times; a sweep of a given size holds that many floats.
  func testSecondsAloneOnOperandsFromMemory() {
    let sweep = CacheSweep()
    XCTAssertGreaterThanOrEqual(sweep.bytes, 64 << 10)
    XCTAssertLessThanOrEqual(sweep.bytes, 1 << 30)
    XCTAssertEqual(CacheSweep(bytes: 1 << 20).count, 1 << 18)
    let shape = GEMMShape(
      transposeA: true, transposeB: false, m: 64, n: 32, k: 128, accumulates: true)
    let cold = shape.secondsAlone(repeats: 3, sweep: sweep)
    XCTAssertEqual(sweep.runs, 3 + 1)
    XCTAssertGreaterThan(cold.seconds, 0)
    XCTAssertGreaterThan(cold.cpuSeconds, 0)
    XCTAssertGreaterThanOrEqual(cold.meanCPUSeconds, cold.cpuSeconds)
  }

  /// The 1024³ reference goes through `GEMMShape.secondsAlone`: a small square gives a
  /// positive, finite rate.
  func testSgemmRateIsPositive() {
    let rate = measureSgemmRate(size: 64, repeats: 3)
    XCTAssertGreaterThan(rate, 0)
    XCTAssertTrue(rate.isFinite)
  }

  /// The profiler keeps each call in order with its operands; a replay runs them again on the
  /// same memory: a beta = 0 product comes out bit-identical, a beta = 1 one adds its product
  /// once more per replay (one untimed replay, then `repeats` timed ones).
  func testReplayRunsTheRecordedCallsAgain() {
    let (m, n, k) = (4, 8, 2)
    let a = TestTensor(count: m * k, uniform: -1, 1, seed: 1)
    let b = TestTensor(count: n * k, uniform: -1, 1, seed: 2)
    let (written, added) = (TestTensor(count: m * n), TestTensor(count: m * n))
    let profiler = StepProfiler()
    stepProfiler = profiler
    for (c, beta) in [(written, Float(0)), (added, 1)] {
      sgemm(
        transposeB: true, m: m, n: n, k: k, a: a.pointer, lda: k, b: b.pointer, ldb: k,
        beta: beta, c: c.pointer, ldc: n)
    }
    stepProfiler = nil
    XCTAssertEqual(profiler.calls.map(\.beta), [0, 1])
    XCTAssertEqual(profiler.calls.map(\.c), [written.pointer, added.pointer])
    let (product, once) = (written.array, added.array)
    written.pointer.update(repeating: 7, count: m * n)
    let replay = GEMMReplay(profiler.calls, repeats: 2)
    XCTAssertEqual(written.array, product)
    for (got, one) in zip(added.array, once) {
      XCTAssertEqual(got, 4 * one, accuracy: blasTolerance)  // 1 + 1 untimed + 2 timed
    }
    XCTAssertEqual(replay.shapes.values.map(\.calls).reduce(0, +), 4)
    XCTAssertGreaterThan(replay.meanCPUSeconds, 0)
    XCTAssertLessThanOrEqual(replay.bestCPUSeconds, replay.meanCPUSeconds)
  }
}
