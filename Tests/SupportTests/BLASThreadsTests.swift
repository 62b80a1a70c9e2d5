import Support
import XCTest

/// The OpenBLAS thread count of `ddp train` and `ddp bench`: --threads, else the environment
/// (launch/ddp, launch/test), else cores / workers on this host.
final class BLASThreadsTests: XCTestCase {
  func testTheOptionWins() {
    let threads = BLASThreads.resolve(
      option: 3, environment: ["OPENBLAS_NUM_THREADS": "1", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"],
      cores: 8)
    XCTAssertEqual(threads, BLASThreads(count: 3, source: .option))
  }

  /// The tests' OPENBLAS_NUM_THREADS=1 still means one thread on a machine with more cores.
  func testTheEnvironmentComesBeforeTheCores() {
    let threads = BLASThreads.resolve(
      option: nil, environment: ["OPENBLAS_NUM_THREADS": "1"], cores: 2)
    XCTAssertEqual(threads, BLASThreads(count: 1, source: .environment))
  }

  func testCoresAreSharedByTheWorkersOnThisHost() {
    XCTAssertEqual(
      BLASThreads.resolve(option: nil, environment: [:], cores: 2),
      BLASThreads(count: 2, source: .cores))
    XCTAssertEqual(
      BLASThreads.resolve(
        option: nil, environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"], cores: 8),
      BLASThreads(count: 4, source: .cores))
    // More workers than cores: still one thread each.
    XCTAssertEqual(
      BLASThreads.resolve(
        option: nil, environment: ["OMPI_COMM_WORLD_LOCAL_SIZE": "4"], cores: 2),
      BLASThreads(count: 1, source: .cores))
  }

  /// A value OpenBLAS would not use either falls through to the core count.
  func testAnUnusableEnvironmentValueFallsThrough() {
    for value in ["", "0", "-2", "two", "1025", "100000", "9223372036854775807"] {
      XCTAssertEqual(
        BLASThreads.resolve(option: nil, environment: ["OPENBLAS_NUM_THREADS": value], cores: 2),
        BLASThreads(count: 2, source: .cores), value)
    }
  }

  func testDescriptionNamesTheSource() {
    XCTAssertEqual(
      "\(BLASThreads(count: 1, source: .environment))",
      "1 BLAS thread per worker (OPENBLAS_NUM_THREADS)")
    XCTAssertEqual(
      "\(BLASThreads(count: 2, source: .cores))",
      "2 BLAS threads per worker (cores / workers on this host)")
  }

  /// The affinity mask of /proc/self/status: `taskset -c 0` leaves one CPU, whatever the machine.
  func testAllowedCPUsAreCountedFromTheMask() {
    let status = "Name:\tddp\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n"
    XCTAssertEqual(BLASThreads.allowedCPUCount(status: status), 2)
    XCTAssertEqual(BLASThreads.allowedCPUCount(status: "Cpus_allowed:\tff,00000001\n"), 9)
    XCTAssertNil(BLASThreads.allowedCPUCount(status: "Cpus_allowed:\t0\n"))
    XCTAssertNil(BLASThreads.allowedCPUCount(status: "Name:\tddp\n"))
    XCTAssertGreaterThanOrEqual(BLASThreads.usableCores(), 1)
  }
}
