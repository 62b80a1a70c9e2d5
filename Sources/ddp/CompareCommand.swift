import ArgumentParser
import Config
import Distributed
import Experiments
import Foundation
import Models
import Reports
import Support
import Training

/// `ddp compare`: what each normalization costs across data-parallel workers, measured.
///
/// Runs one real `mpirun` job per point of workers × norms × modes (strong scaling: the global
/// batch fixed; weak scaling: the batch per worker fixed) on each transport, and the all-reduce
/// benchmark that calibrates the cost model; writes `results.json`, `report.html` and prints a
/// Markdown table.
struct CompareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Sweep worker counts x norms and report what each norm costs in communication.",
    discussion: """
      Run it outside mpirun: it launches one `mpirun -np N ddp train` job per point (and \
      `ddp bench allreduce` jobs for the cost model), each rank on one OpenBLAS thread. In \
      strong scaling train.batch is the global batch; in weak scaling it is the batch of each \
      worker. With --cluster the sweep runs again on the network-namespace cluster of \
      `launch/cluster up N` (MPI over TCP), beside shared memory.

      Example:
        ddp compare --config configs/compare.toml --out runs/compare
        ddp compare --workers 1,2 --norms layernorm,syncbatchnorm --steps 10
      """)

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "TOML run configuration (default: configs/compare.toml of the package ddp was built in).",
      valueName: "config"))
  var config: String?
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key, e.g. --set model.n_layers=2.")
  var overrides: [String] = []
  @Option(parsing: .unconditional, help: "Worker counts, comma-separated.") var workers = "1,2,4"
  @Option(parsing: .unconditional, help: "Norms, comma-separated.") var norms =
    "layernorm,rmsnorm,batchnorm,syncbatchnorm"
  @Option(parsing: .unconditional, help: "Scaling modes, comma-separated: strong, weak.")
  var modes = "strong,weak"
  @Option(
    parsing: .unconditional,
    help: "Optimizer steps per point (60: the cluster's slow TCP steps stay a minority).")
  var steps = 60
  @Option(parsing: .unconditional, help: "Leading steps left out of the medians.") var warmup = 5
  @Option(parsing: .unconditional, help: "Output folder (default: runs/compare-TIMESTAMP).")
  var out: String?
  @Flag(help: "Also run every point on the cluster of `launch/cluster up` (MPI over TCP).")
  var cluster = false
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "N workers match 1 worker within this many times the float noise of the sweep's twin.",
      valueName: "factor"))
  var noiseFactor = 10.0
  @Option(
    parsing: .unconditional,
    help: "An absolute parity tolerance instead (no twins are run).")
  var tolerance: Double?
  @Option(parsing: .unconditional, help: "Seconds before a job counts as hung and is killed.")
  var timeout = 300.0

  func validate() throws {
    let counts = try parseWorkerCounts(workers)
    guard Set(counts).count == counts.count else {
      throw ValidationError("--workers lists a count twice: \"\(workers)\"")
    }
    _ = try parsedNorms()
    _ = try parsedModes()
    guard (1...1_000_000).contains(steps) else {
      throw ValidationError("--steps must be in 1...1000000, got \(steps)")
    }
    // launch/ddp's own limit, checked before the sweep's first job.
    let most = 16 * ProcessInfo.processInfo.activeProcessorCount
    if let many = counts.first(where: { $0 > most }) {
      throw ValidationError(
        "--workers \(many) is more than 16 workers per core: at most \(most) on this machine")
    }
    guard warmup >= 0, warmup < steps else {
      throw ValidationError("--warmup must be ≥ 0 and below --steps (\(steps)), got \(warmup)")
    }
    guard noiseFactor >= 1, noiseFactor.isFinite else {
      throw ValidationError("--noise-factor must be a finite number >= 1, got \(noiseFactor)")
    }
    if let tolerance, !(tolerance > 0 && tolerance.isFinite) {
      throw ValidationError("--tolerance must be a positive number, got \(tolerance)")
    }
    let noiseFactorGiven = CommandLine.arguments.contains {
      $0 == "--noise-factor" || $0.hasPrefix("--noise-factor=")
    }
    if tolerance != nil && noiseFactorGiven {
      throw ValidationError(
        "give --noise-factor (parity against the sweep's twin) or --tolerance, not both")
    }
    guard timeout > 0, timeout.isFinite else {
      throw ValidationError("--timeout must be a positive number of seconds, got \(timeout)")
    }
  }

  func parsedNorms() throws -> [NormKind] {
    try norms.split(separator: ",", omittingEmptySubsequences: false).map { name in
      guard let norm = NormKind(rawValue: String(name)) else {
        throw ValidationError(
          "--norms: unknown norm \"\(name)\" (choose from "
            + NormKind.allCases.map(\.rawValue).joined(separator: ", ") + ")")
      }
      return norm
    }
  }

  func parsedModes() throws -> [ScalingMode] {
    try modes.split(separator: ",", omittingEmptySubsequences: false).map { name in
      guard let mode = ScalingMode(rawValue: String(name)) else {
        throw ValidationError("--modes: unknown mode \"\(name)\" (choose from strong, weak)")
      }
      return mode
    }
  }

  /// `configs/compare.toml` of the package this executable was built in, found walking up
  /// from the executable (`.build/release/ddp` → the package root), so `ddp compare` works
  /// from any working folder.
  func defaultConfig(_ executable: String) throws -> String {
    guard let path = JobLauncher.findPackageFile("configs/compare.toml", from: executable) else {
      throw RunError("configs/compare.toml not found above \(executable); pass --config FILE")
    }
    return path
  }

  func run() throws {
    // A signal stops the job under way too (JobLauncher), not only this process.
    PreemptionSignals.install()
    if MPICommunicator.detectMPILaunch() {
      if isLaunchedRankZero {
        writeErrorLine("ddp: run ddp compare without mpirun; it launches its own mpirun jobs")
      }
      throw ExitStatus(2)
    }
    let counts = try parseWorkerCounts(workers).sorted()
    if let out, try completeReport(in: out) { return }
    let (sweep, hold) = try reportingInputErrors { () throws -> (CompareSweep, DirectoryLock) in
      let executable = JobLauncher.currentExecutable
      let config = try config ?? defaultConfig(executable)
      let run = try RunConfig.load(path: config, overrides: overrides)
      // The jobs' data is read before the folder is made: bad data is one line and exit 2
      // here, not a failed first job.
      try TrainingData.load(run).corpus.check(context: run.model.context)
      // The largest micro-batch of the sweep: every worker's share of a weak-scaling step, or
      // the fewest workers' share of a strong-scaling one.
      let shares = try parsedModes().contains(.weak) ? 1 : (counts.first ?? 1)
      _ = try MemoryCheck.require(
        run, microBatch: max(1, run.train.batch / (shares * run.train.gradAccum)))
      var transports = [
        JobLauncher(
          transport: .shm, executable: executable, clusterScript: nil, timeout: timeout)
      ]
      if cluster {
        guard let script = JobLauncher.findClusterScript(from: executable) else {
          throw RunError(
            "--cluster: launch/cluster not found above \(executable); set DDP_CLUSTER_SCRIPT")
        }
        transports.append(
          JobLauncher(
            transport: .cluster, executable: executable, clusterScript: script,
            timeout: timeout))
      }
      for launcher in transports { try launcher.requireScript() }
      let sweep = CompareSweep(
        run: run, configPath: config, overrides: overrides, workers: counts,
        norms: try parsedNorms(), modes: try parsedModes(), steps: steps, warmup: warmup,
        tolerance: tolerance, noiseFactor: noiseFactor, launchers: transports,
        folder: out ?? "runs/compare-" + timestamp())
      return (sweep, try sweep.check())
    }
    let results: CompareResults
    do { results = try sweep.measure() } catch {
      writeErrorLine("ddp: \(error)")
      throw ExitStatus(1)
    }
    try AtomicFile.write(
      text:
        String(decoding: try results.encoded(), as: UTF8.self) + "\n",
      to: sweep.folder + "/results.json")
    try publish(results, in: sweep.folder)
    withExtendedLifetime(hold) {}
  }

  /// A sweep whose results.json was written but whose report was not (a full disk) is
  /// finished from its results.json, without running anything again: true when `folder` was
  /// such a sweep.
  func completeReport(in folder: String) throws -> Bool {
    let resultsPath = folder + "/results.json"
    guard FileSystem.existingKind(of: resultsPath) == .file,
      FileSystem.existingKind(of: folder + "/report.html") == nil
    else { return false }
    let hold = try reportingInputErrors {
      try DirectoryLock.take(folder, holder: DirectoryLock.ddpWriter)
    }
    let results = try reportingInputErrors {
      guard let data = try? FileSystem.contents(of: resultsPath),
        let results = try? CompareResults.decode(Data(data))
      else {
        throw RunError(
          "\(MessageText.quoted(folder)) holds a results.json that is not a ddp compare's; "
            + "choose another --out")
      }
      return results
    }
    print(
      "ddp compare: \(MessageText.quoted(folder)) holds results.json but no report.html (its "
        + "sweep could not write it); writing the report from it, running nothing again (the "
        + "sweep's own options, not this command's)")
    try publish(results, in: folder)
    withExtendedLifetime(hold) {}
    return true
  }

  /// Writes report.html and prints the table and the cost model's accuracy.
  func publish(_ results: CompareResults, in folder: String) throws {
    try AtomicFile.write(text: results.html(), to: folder + "/report.html")
    print(results.markdownTable())
    let accuracy = results.costModelSummary()
    if !accuracy.isEmpty {
      print("\nCost model (predicted vs measured transfer; causes of misses in the report):")
      for line in accuracy { print("- " + line) }
    }
    print("ddp compare: \(folder)/results.json, report: \(folder)/report.html")
  }
}

/// YYYYmmdd-HHMMSS in UTC.
func timestamp() -> String {
  let formatter = DateFormatter()
  formatter.dateFormat = "yyyyMMdd-HHmmss"
  formatter.timeZone = TimeZone(identifier: "UTC")
  return formatter.string(from: Date())
}
