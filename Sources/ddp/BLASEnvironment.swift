import ArgumentParser
import Experiments
import Reports
import Support
import Training

#if canImport(Glibc)
  import Glibc
#endif

/// Makes sure OpenBLAS runs its kernels for this CPU.
///
/// Debian's OpenBLAS picks its kernels at load time from the CPU model; on virtual machines that
/// report a generic "Intel Xeon Processor" it falls back to `Prescott` (SSE3), whose sgemm runs
/// at a fifth of the AVX-512 rate here (34 vs 165 GFLOP/s measured on a 1024³ product). The
/// choice is made before `main` runs, so when the user has not set `OPENBLAS_CORETYPE` this
/// reads the CPU's feature flags, sets it, and re-executes the program once with the same
/// arguments (the process id stays the same, so it is safe under `mpirun`).
enum BLASEnvironment {
  static func ensureCoreType() {
    guard getenv("OPENBLAS_CORETYPE") == nil, getenv("DDP_BLAS_REEXEC") == nil,
      let coreType = detectedCoreType()
    else { return }
    setenv("OPENBLAS_CORETYPE", coreType, 1)
    setenv("DDP_BLAS_REEXEC", "1", 1)
    let args = CommandLine.arguments
    var cArgs = args.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &cArgs)
    // execv returns only on failure; carry on with whatever OpenBLAS chose.
  }

  /// The OpenBLAS core type for this CPU's flags (the first `flags` line of /proc/cpuinfo):
  /// SkylakeX with AVX-512 (F, BW, DQ, VL), Haswell with AVX2 and FMA, otherwise nil (leave
  /// OpenBLAS's own choice). `launch/test` asks for it with `ddp blas-coretype`.
  static func detectedCoreType() -> String? {
    guard let cpuinfo = try? FileSystem.contents(of: "/proc/cpuinfo"),
      let line = String(decoding: cpuinfo, as: UTF8.self).split(separator: "\n")
        .first(where: { $0.hasPrefix("flags") })
    else { return nil }
    return coreType(
      flags: Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)))
  }

  static func coreType(flags: Set<String>) -> String? {
    if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
    if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
    return nil
  }
}

/// `ddp blas-coretype` (hidden): prints the OpenBLAS core type `ddp` picks for this CPU, or
/// nothing, so that `launch/test` sets the same `OPENBLAS_CORETYPE` for the test processes.
struct BLASCoreTypeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "blas-coretype",
    abstract: "Print the OPENBLAS_CORETYPE ddp picks for this CPU (empty when none).",
    shouldDisplay: false)

  func run() {
    print(BLASEnvironment.detectedCoreType() ?? "")
  }
}
