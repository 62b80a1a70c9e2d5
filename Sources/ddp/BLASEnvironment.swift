import Experiments
import Reports
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

  /// The OpenBLAS core type for this CPU's flags: SkylakeX with AVX-512 (F, BW, DQ, VL),
  /// Haswell with AVX2 and FMA, otherwise nil (leave OpenBLAS's own choice).
  static func detectedCoreType() -> String? {
    guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
    defer { fclose(file) }
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    while getline(&line, &capacity, file) > 0 {
      guard let line, strncmp(line, "flags", 5) == 0 else { continue }
      let flags = Set(
        String(cString: line).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
          .map(String.init))
      free(line)
      if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) {
        return "SkylakeX"
      }
      if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
      return nil
    }
    free(line)
    return nil
  }
}
