import ArgumentParser
import Distributed
import Experiments
import Foundation
import Reports
import Support
import Training

/// `ddp experiment NAME`: a paper's claims checked by real data-parallel jobs.
struct ExperimentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "experiment",
    abstract: "Check a paper's claims with real data-parallel jobs and report a verdict.",
    discussion: """
      Experiments: gradients (per-layer gradient norms at initialization vs depth, Xiong et \
      al. 2020), warmup (does Post-LN need warmup where Pre-LN and ResiDual do not?), depth \
      (a 24-layer stack: Post-LN, Pre-LN's representation collapse, ResiDual; Xie et al. \
      2023), recall (associative recall vs the number of stored pairs: softmax, linear, \
      fastweight, fastweight_sum; Schlag et al. 2021), attention (the four kinds as language \
      models on fortunes: validation loss and tokens/s; Katharopoulos et al. 2020, Schlag et \
      al. 2021), ulmfit (fortune classification: test error vs labels per class from scratch, \
      from a pretrained LM, and with full ULMFiT, plus ablations and naive Bayes; Howard and \
      Ruder 2018). Run it outside mpirun: it launches one `mpirun -np WORKERS` job per point. \
      Writes FOLDER/results.json, FOLDER/report.html and each job's files under FOLDER/jobs; \
      prints a Markdown table of the claims. Given the same --out again, an interrupted \
      sweep continues where it stopped. --quick (the default) fits in about 10 minutes on 2 \
      cores; --full is the serious version.

      Example:
        ddp experiment gradients --out runs/gradients
        ddp experiment warmup --workers 2 --seeds 3 --full
      """)

  @Argument(help: "gradients, warmup, depth, recall, attention or ulmfit.") var name: String
  @Option(parsing: .unconditional, help: "Workers of each job.") var workers = 2
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Seeds per point (default: 3 for gradients, 2 for attention and ulmfit, 1 otherwise; "
        + "5 with --full)."))
  var seeds: Int?
  @Flag(help: "The quick sweep (default) or the full one.") var size: ExperimentSize = .quick
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key in every job, e.g. data.path=FILE.")
  var overrides: [String] = []
  @Option(parsing: .unconditional, help: "Output folder (default: runs/experiment-NAME-TIMESTAMP).")
  var out: String?
  @Option(parsing: .unconditional, help: "Seconds before a job counts as hung and is killed.")
  var timeout = 900.0

  func validate() throws {
    guard ExperimentCatalog.names.contains(name) else {
      throw ValidationError(
        "unknown experiment \"\(name)\" (choose from "
          + ExperimentCatalog.names.joined(separator: ", ") + ")")
    }
    guard (1...64).contains(workers) else {
      throw ValidationError("--workers must be in 1...64, got \(workers)")
    }
    if let seeds, !(1...20).contains(seeds) {
      throw ValidationError("--seeds must be in 1...20, got \(seeds)")
    }
    guard timeout > 0, timeout.isFinite else {
      throw ValidationError("--timeout must be a positive number of seconds")
    }
  }

  func run() throws {
    // A signal stops the job under way too (JobLauncher), not only this process.
    PreemptionSignals.install()
    if MPICommunicator.detectMPILaunch() {
      if isLaunchedRankZero {
        writeErrorLine("ddp: run ddp experiment without mpirun; it launches its own mpirun jobs")
      }
      throw ExitStatus(2)
    }
    // attention's and ulmfit's claims are about beating the seed spread: two seeds at least.
    let quickSeeds =
      [GradientsExperiment.name: 3, AttentionExperiment.name: 2, UlmfitExperiment.name: 2][name]
      ?? 1
    let seedCount = seeds ?? (size == .full ? 5 : quickSeeds)
    let folder = out ?? "runs/experiment-\(name)-" + timestamp()
    let settings = ExperimentSettings(
      size: size, workers: workers, seeds: (1...seedCount).map(UInt64.init),
      overrides: overrides, folder: URL(fileURLWithPath: folder).standardizedFileURL.path)
    let (runner, hold) = try reportingInputErrors {
      () throws -> (ExperimentRunner, DirectoryLock) in
      guard let experiment = ExperimentCatalog.experiment(named: name, settings: settings) else {
        throw RunError("unknown experiment \(name)")
      }
      // Every job's config resolves, and its data reads, before anything runs: bad data is one
      // line and exit 2 here, not a failed first job and a half-made folder.
      var read = Set<String>()
      for spec in try experiment.jobs() {
        let data = spec.config.data
        guard read.insert(data.path + "\n" + data.classes).inserted else { continue }
        try TrainingData.load(spec.config).corpus.check(context: spec.config.model.context)
      }
      let launcher = JobLauncher(
        transport: .shm, executable: JobLauncher.currentExecutable, clusterScript: nil,
        timeout: timeout)
      try launcher.requireScript()
      let runner = ExperimentRunner(experiment: experiment, launcher: launcher, folder: folder)
      return (runner, try runner.prepare())
    }
    print(
      "ddp experiment \(name): \(folder), \(counted(workers, "worker")) a job, "
        + counted(seedCount, "seed"))
    let results: ExperimentResults
    do { results = try runner.run() } catch {
      writeErrorLine("ddp: \(error)")
      throw ExitStatus(1)
    }
    print(try runner.publish(results))
    print("ddp experiment: \(folder)/results.json, report: \(folder)/report.html")
    withExtendedLifetime(hold) {}
  }
}

extension ExperimentSize: EnumerableFlag {}
