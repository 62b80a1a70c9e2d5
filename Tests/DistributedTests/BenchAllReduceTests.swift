import Foundation
import XCTest

/// `ddp bench allreduce` under real `mpirun -np N` processes (shared memory on this machine).
final class BenchAllReduceTests: XCTestCase {
  /// Relative difference allowed between busbw recomputed from the printed latency and the
  /// printed busbw: both are shortest round-trip decimals of doubles, so only the last bits of
  /// the recomputation can differ.
  let printedRoundTripTolerance = 1e-9

  /// Sizes 4 B to 1 MiB in powers of 2.
  let expectedSizes = (0...18).map { 4 << $0 }

  /// Runs the benchmark on `workers` ranks and checks its exit, its JSON line and every size.
  func checkBenchmark(workers: Int, extra: [String] = []) throws -> [String: Any] {
    let outcome = try runUnderMPI(
      workers: workers, ["bench", "allreduce", "--max-bytes", "1048576"] + extra)
    XCTAssertFalse(outcome.timedOut, "mpirun -np \(workers) hung: \(outcome.stderr)")
    XCTAssertEqual(outcome.status, 0, "mpirun -np \(workers): \(outcome.stderr)")
    XCTAssertLessThan(outcome.seconds, 30, "mpirun -np \(workers) took \(outcome.seconds) s")
    let figures = try XCTUnwrap(
      lastJSONObject(outcome.stdout), "no JSON line: \(outcome.stdout) \(outcome.stderr)")
    XCTAssertEqual(figures["workers"] as? Int, workers)
    XCTAssertEqual(figures["all_verified"] as? Bool, true)
    XCTAssertGreaterThan(figures["alpha_us"] as? Double ?? 0, 0, "α")
    XCTAssertGreaterThan(figures["beta_ns_per_byte"] as? Double ?? 0, 0, "β")
    let sizes = try XCTUnwrap(figures["sizes"] as? [[String: Any]])
    XCTAssertEqual(sizes.compactMap { $0["bytes"] as? Int }, expectedSizes)
    for size in sizes {
      XCTAssertEqual(size["verified"] as? Bool, true, "\(size)")
      XCTAssertGreaterThan(size["latency_us"] as? Double ?? 0, 0, "\(size)")
      // busbw = bytes/latency · 2(N−1)/N, in GB/s (nccl-tests' definition).
      let bytes = Double(size["bytes"] as? Int ?? 0)
      let latency = (size["latency_us"] as? Double ?? 0) * 1e-6
      let busbw = bytes / latency * 2 * Double(workers - 1) / Double(workers) / 1e9
      XCTAssertEqual(
        size["busbw_gbps"] as? Double ?? 0, busbw, accuracy: busbw * printedRoundTripTolerance)
    }
    // Only rank 0 prints: one table header and one JSON line.
    XCTAssertEqual(outcome.stdout.components(separatedBy: "# MPI_Allreduce").count, 2)
    XCTAssertEqual(outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("{") }.count, 1)
    XCTAssertTrue(outcome.stderr.isEmpty, outcome.stderr)
    return figures
  }

  func testTwoWorkers() throws {
    _ = try checkBenchmark(workers: 2)
  }

  func testThreeWorkers() throws {
    _ = try checkBenchmark(workers: 3)
  }

  /// Every collective of the MPI communicator gives the right result on 2 and 3 ranks, and the
  /// counters of the real communicator add up to what the benchmark did.
  func testCollectivesAndCountersUnderMPI() throws {
    for workers in [2, 3] {
      let figures = try checkBenchmark(workers: workers, extra: ["--check-collectives"])
      XCTAssertEqual(figures["collectives_checked"] as? Bool, true)
      let sizes = try XCTUnwrap(figures["sizes"] as? [[String: Any]])
      let comm = try XCTUnwrap(figures["comm"] as? [String: [String: Any]])
      // Per size: one checked call, max(2, calls/10) warm-up calls and the timed calls.
      var calls = 0
      var bytes = 0
      var barriers = 0
      var gathered = 0
      for size in sizes {
        let timed = size["iterations"] as? Int ?? 0
        let made = 1 + max(2, timed / 10) + timed
        calls += made
        bytes += made * (size["bytes"] as? Int ?? 0)
        barriers += 1 + timed
        gathered += 8 * (timed + 1)
      }
      XCTAssertEqual(comm["gradients"]?["calls"] as? Int, calls)
      XCTAssertEqual(comm["gradients"]?["bytes"] as? Int, bytes)
      XCTAssertGreaterThan(comm["gradients"]?["seconds"] as? Double ?? 0, 0)
      // The barriers and one all-gather per size of each call's time and the wrong elements.
      XCTAssertEqual(comm["control"]?["calls"] as? Int, barriers + sizes.count)
      XCTAssertEqual(comm["control"]?["bytes"] as? Int, gathered)
      XCTAssertEqual(comm["norm_stats"]?["calls"] as? Int, 0)
    }
  }

  /// A plain process is one worker, which has nothing to reduce: refused in one line, exit 2
  /// (it used to report a memory copy as tens of millions of GB/s).
  func testPlainProcessIsRefused() throws {
    _ = try requireDDPAndMPI()
    let outcome = try runProcess(
      ddpExecutable, ["bench", "allreduce", "--max-bytes", "4096", "--check-collectives"],
      environment: ["OPENBLAS_NUM_THREADS": "1"])
    XCTAssertEqual(outcome.status, 2, outcome.stderr)
    XCTAssertEqual(
      outcome.stderr,
      "ddp: bench allreduce needs 2 or more workers; run it as launch/ddp -np 2 bench allreduce "
        + "(one worker has nothing to reduce)\n")
    XCTAssertFalse(outcome.stdout.contains("{"), outcome.stdout)
  }

  /// A failed MPI call on one rank ends the whole job promptly, naming the rank and MPI's error.
  func testFailureOnOneRankEndsTheJob() throws {
    let outcome = try runUnderMPI(workers: 3, ["bench", "allreduce", "--fail-rank", "1"])
    XCTAssertFalse(outcome.timedOut, "the job hung after rank 1 failed")
    XCTAssertNotEqual(outcome.status, 0)
    XCTAssertLessThan(outcome.seconds, 10)
    XCTAssertTrue(
      outcome.stderr.contains("rank 1: MPI_Bcast failed: MPI_ERR_ROOT: invalid root"),
      outcome.stderr)
    XCTAssertFalse(outcome.stdout.contains("{"), outcome.stdout)
  }

  /// Bad options: exit code 2 and one line from rank 0 alone, on every rank count.
  func testBadOptionIsOneLineFromRankZero() throws {
    let outcome = try runUnderMPI(workers: 2, ["bench", "allreduce", "--max-bytes", "6"])
    XCTAssertFalse(outcome.timedOut)
    XCTAssertNotEqual(outcome.status, 0)
    let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("ddp:") }
    XCTAssertEqual(lines.count, 1, outcome.stderr)
    XCTAssertTrue(lines.first?.contains("--max-bytes") ?? false, outcome.stderr)
    XCTAssertTrue(lines.first?.contains("6") ?? false, outcome.stderr)

    let plain = try runProcess(ddpExecutable, ["bench", "allreduce", "--factor", "1"])
    XCTAssertEqual(plain.status, 2)
    XCTAssertEqual(plain.stderr, "ddp: --factor must be at least 2, got 1\n")
  }
}
