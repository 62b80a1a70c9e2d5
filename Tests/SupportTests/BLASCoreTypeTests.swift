import Support
import XCTest

/// The OpenBLAS kernels `ddp` asks for, from /proc/cpuinfo texts of the CPUs it has met and of
/// the neighbours of each rule.
final class BLASCoreTypeTests: XCTestCase {
  let avx512 = "fpu sse2 avx fma avx2 avx512f avx512dq avx512bw avx512vl avx512_bf16"

  /// `processors` blocks of /proc/cpuinfo, as Linux writes them (tabs before the colon), each
  /// ended by a blank line.
  func cpuinfo(vendor: String, family: Int, flags: String, processors: Int = 2) -> String {
    (0..<processors).map { n in
      """
      processor\t: \(n)
      vendor_id\t: \(vendor)
      cpu family\t: \(family)
      model\t\t: 17
      model name\t: Some CPU
      flags\t\t: \(flags)

      """
    }.joined(separator: "\n")
  }

  func testAVX512PicksSkylakeXButNotOnZen4() {
    XCTAssertEqual(
      BLASCoreType.pick(cpuinfo: cpuinfo(vendor: "GenuineIntel", family: 6, flags: avx512))?.name,
      "SkylakeX")
    // Zen 4 (the 2-core AMD EPYC VM): AVX2 kernels, 5% faster per bench step there.
    XCTAssertEqual(
      BLASCoreType.pick(cpuinfo: cpuinfo(vendor: "AuthenticAMD", family: 25, flags: avx512)),
      BLASCoreType(
        name: "Haswell", reason: "AMD Zen 4, family 25, whose AVX-512 runs in 256-bit halves"))
    // Zen 5 is not measured: the AVX-512 rule.
    XCTAssertEqual(
      BLASCoreType.pick(cpuinfo: cpuinfo(vendor: "AuthenticAMD", family: 26, flags: avx512))?.name,
      "SkylakeX")
    // Without one of the four AVX-512 subsets it is an AVX2 machine.
    let noVL = avx512.replacingOccurrences(of: " avx512vl", with: "")
    XCTAssertEqual(
      BLASCoreType.pick(cpuinfo: cpuinfo(vendor: "GenuineIntel", family: 6, flags: noVL))?.name,
      "Haswell")
  }

  func testAVX2PicksHaswellAndOlderCPUsAreLeftToOpenBLAS() {
    for (vendor, family) in [("GenuineIntel", 6), ("AuthenticAMD", 23), ("AuthenticAMD", 25)] {
      XCTAssertEqual(
        BLASCoreType.pick(
          cpuinfo: cpuinfo(vendor: vendor, family: family, flags: "sse2 avx fma avx2")),
        BLASCoreType(name: "Haswell", reason: "AVX2 and FMA"), "\(vendor) \(family)")
    }
    for flags in ["sse2 sse3 avx", "sse2 avx avx2", "sse2 avx fma", ""] {
      XCTAssertNil(
        BLASCoreType.pick(cpuinfo: cpuinfo(vendor: "GenuineIntel", family: 6, flags: flags)),
        flags)
    }
  }

  /// Only the first processor counts (a later block's lines are not read into it), a flag
  /// must match whole (avx2 is not avx2_vnni), tabs separate flags too, and a text without a
  /// flags line picks nothing.
  func testReadsTheFirstProcessorsWholeFlags() {
    let first = "processor\t: 0\nvendor_id\t: AuthenticAMD\n\n"
    let second = cpuinfo(vendor: "GenuineIntel", family: 6, flags: avx512, processors: 1)
    XCTAssertNil(BLASCoreType.pick(cpuinfo: "\n" + first + second))
    // The first block's own family, not a later one's, decides: AVX-512 without a family line
    // is SkylakeX, though the second block is a Zen 4.
    let noFamily = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: \(avx512)\n\n"
    let zen4 = cpuinfo(vendor: "AuthenticAMD", family: 25, flags: avx512, processors: 1)
    XCTAssertEqual(BLASCoreType.pick(cpuinfo: noFamily + zen4)?.name, "SkylakeX")
    XCTAssertEqual(
      BLASCoreType.pick(
        cpuinfo: cpuinfo(vendor: "GenuineIntel", family: 6, flags: "sse2\tavx\tfma\tavx2"))?.name,
      "Haswell")
    XCTAssertNil(
      BLASCoreType.pick(
        cpuinfo: cpuinfo(vendor: "GenuineIntel", family: 6, flags: "avx2_vnni fma4 avx512fp16")))
    XCTAssertNil(BLASCoreType.pick(cpuinfo: ""))
    XCTAssertNil(BLASCoreType.pick(cpuinfo: "processor : 0\nvendor_id : GenuineIntel\n"))
  }
}
