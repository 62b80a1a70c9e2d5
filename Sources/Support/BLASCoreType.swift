import Foundation

/// Which OpenBLAS kernels (`OPENBLAS_CORETYPE`) `ddp` asks for on this CPU, and why.
///
/// Debian's OpenBLAS picks its kernels at load time from the CPU model; on virtual machines
/// that report a generic "Intel Xeon Processor" it falls back to `Prescott` (SSE3, 34 instead
/// of 165 GFLOP/s on a 1024³ sgemm). So `ddp` picks from /proc/cpuinfo itself:
///
/// ```
/// AVX-512 F, BW, DQ, VL        SkylakeX   the AVX-512 sgemm
///   but AMD family 25 (Zen 4)  Haswell    its 512-bit FMAs run as two 256-bit halves
/// AVX2 and FMA                 Haswell    the AVX2 sgemm
/// otherwise                    nil        OpenBLAS's own choice
/// ```
/// On Zen 4 (the 2-core AMD EPYC VM, family 25 model 17, 2026-12-05) Haswell's kernels ran the
/// bench step 5% faster than SkylakeX's (median 314 against 331 ms/step, GEMM floor 267 against
/// 282 ms): README, "OpenBLAS kernels on AMD Zen 4". Zen 5 (family 26; full-width 512-bit units
/// on server parts) keeps SkylakeX: not measured here.
public struct BLASCoreType: Sendable, Equatable {
  /// The `OPENBLAS_CORETYPE` value.
  public var name: String
  /// What in /proc/cpuinfo picked it, for the bench's report ("picked by ddp for ...").
  public var reason: String

  public init(name: String, reason: String) { (self.name, self.reason) = (name, reason) }

  /// The kernels for the first processor described in `cpuinfo` (the text of /proc/cpuinfo),
  /// or nil when it has neither AVX-512 nor AVX2 with FMA (or no `flags` line).
  public static func pick(cpuinfo: String) -> BLASCoreType? {
    let fields = firstProcessorFields(cpuinfo)
    guard let flagText = fields["flags"] else { return nil }
    let flags = Set(flagText.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init))
    let isZen4 = fields["vendor_id"] == "AuthenticAMD" && fields["cpu family"] == "25"
    if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) {
      return isZen4
        ? BLASCoreType(
          name: "Haswell", reason: "AMD Zen 4, family 25, whose AVX-512 runs in 256-bit halves")
        : BLASCoreType(name: "SkylakeX", reason: "AVX-512")
    }
    if flags.isSuperset(of: ["avx2", "fma"]) {
      return BLASCoreType(name: "Haswell", reason: "AVX2 and FMA")
    }
    return nil
  }

  /// `key: value` lines of the first block of /proc/cpuinfo (blocks end at a blank line),
  /// keys and values trimmed of spaces and tabs.
  static func firstProcessorFields(_ cpuinfo: String) -> [String: String] {
    var fields: [String: String] = [:]
    for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.trimmingCharacters(in: .whitespaces).isEmpty {
        if fields.isEmpty { continue } else { break }
      }
      guard let colon = line.firstIndex(of: ":") else { continue }
      let key = line[..<colon].trimmingCharacters(in: .whitespaces)
      if fields[key] == nil {
        fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
    }
    return fields
  }
}
