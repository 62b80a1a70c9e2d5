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
/// set `OPENBLAS_CORETYPE` (or set it empty, as the launch scripts read it) this sets it and
/// re-executes the program once with the same arguments (the process id stays the same, so it
/// is safe under `mpirun`).
enum BLASEnvironment {
  static func ensureCoreType() {
    guard requestedCoreType == nil, getenv("DDP_BLAS_REEXEC") == nil,
      let coreType = detectedCoreType()
    else { return }
    setenv("OPENBLAS_CORETYPE", coreType.name, 1)
    setenv("DDP_BLAS_REEXEC", "1", 1)
    let args = CommandLine.arguments
    var cArgs = args.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &cArgs)
    // execv returns only on failure; carry on with whatever OpenBLAS chose.
  }

  /// `OPENBLAS_CORETYPE`, nil when unset or empty.
  static var requestedCoreType: String? {
    guard let value = getenv("OPENBLAS_CORETYPE"), value.pointee != 0 else { return nil }
    return String(cString: value)
  }

  /// What chose `loaded`, the kernels OpenBLAS runs in this process (`blasCoreName`):
  ///
  /// ```
  /// picked by ddp for REASON                      ensureCoreType set the variable
  /// OPENBLAS_CORETYPE, as ddp picks for REASON    set beforehand to ddp's pick (launch/test)
  /// OPENBLAS_CORETYPE                             set beforehand to another name OpenBLAS took
  /// OpenBLAS's own pick; OPENBLAS_CORETYPE=X not used     a name OpenBLAS did not take
  /// OpenBLAS's own pick                           unset: ddp has no pick for this CPU
  /// ```
  static func coreTypeSource(loaded: String) -> String {
    guard let requested = requestedCoreType else { return "OpenBLAS's own pick" }
    guard requested.lowercased() == loaded.lowercased() else {
      return "OpenBLAS's own pick; OPENBLAS_CORETYPE=\(requested) not used"
    }
    guard let picked = detectedCoreType(), picked.name.lowercased() == loaded.lowercased() else {
      return "OPENBLAS_CORETYPE"
    }
    return getenv("DDP_BLAS_REEXEC") != nil
      ? "picked by ddp for \(picked.reason)"
      : "OPENBLAS_CORETYPE, as ddp picks for \(picked.reason)"
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
