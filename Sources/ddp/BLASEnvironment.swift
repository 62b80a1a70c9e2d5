import ArgumentParser
import Experiments
import Reports
import Support
import Training

#if canImport(Glibc)
  import Glibc
#endif

/// Makes sure OpenBLAS runs its kernels for this CPU (`BLASCoreType` says which and why).
///
/// OpenBLAS makes its choice when it is loaded, before `main` runs, so when the user has not
/// set `OPENBLAS_CORETYPE` this sets it and re-executes the program once with the same
/// arguments (the process id stays the same, so it is safe under `mpirun`).
enum BLASEnvironment {
  static func ensureCoreType() {
    guard getenv("OPENBLAS_CORETYPE") == nil, getenv("DDP_BLAS_REEXEC") == nil,
      let coreType = detectedCoreType()
    else { return }
    setenv("OPENBLAS_CORETYPE", coreType.name, 1)
    setenv("DDP_BLAS_REEXEC", "1", 1)
    let args = CommandLine.arguments
    var cArgs = args.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &cArgs)
    // execv returns only on failure; carry on with whatever OpenBLAS chose.
  }

  /// What chose the kernels OpenBLAS runs in this process: ddp's pick (`ensureCoreType`, with
  /// its reason), the user's `OPENBLAS_CORETYPE`, or OpenBLAS itself (no pick for this CPU).
  static var coreTypeSource: String {
    guard let set = getenv("OPENBLAS_CORETYPE") else { return "OpenBLAS's own pick" }
    guard getenv("DDP_BLAS_REEXEC") != nil, let picked = detectedCoreType(),
      picked.name == String(cString: set)
    else { return "OPENBLAS_CORETYPE" }
    return "picked by ddp for \(picked.reason)"
  }

  /// The kernels for this machine's /proc/cpuinfo; `launch/test` asks for them with
  /// `ddp blas-coretype`.
  static func detectedCoreType() -> BLASCoreType? {
    guard let cpuinfo = try? FileSystem.contents(of: "/proc/cpuinfo") else { return nil }
    return BLASCoreType.pick(cpuinfo: String(decoding: cpuinfo, as: UTF8.self))
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
    print(BLASEnvironment.detectedCoreType()?.name ?? "")
  }
}
