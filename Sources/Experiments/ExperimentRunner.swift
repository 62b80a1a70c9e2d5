import Config
import Foundation
import Reports
import Support
import Training

/// Runs an experiment's jobs one `mpirun` job at a time, each in `FOLDER/jobs/NAME/` (its
/// `job.toml`, log, run and `result.json`), then writes `results.json` and `report.html`.
///
/// Resumable: a job whose `result.json` exists beside an unchanged `job.toml` is not run again,
/// so an interrupted sweep continues where it stopped when given the same `--out`.
public struct ExperimentRunner {
  public let experiment: any Experiment
  public let launcher: JobLauncher
  public let folder: String

  public init(experiment: any Experiment, launcher: JobLauncher, folder: String) {
    (self.experiment, self.launcher, self.folder) = (experiment, launcher, folder)
  }

  var settings: ExperimentSettings { experiment.settings }

  /// Refuses a folder that already holds a finished experiment, creates it, and holds it
  /// (``DirectoryLock``) against a second sweep started on it while this one runs; the caller
  /// keeps the hold until the sweep ends.
  public func prepare() throws -> DirectoryLock {
    // A sweep whose report could not be written (a full disk) is finished again: its jobs are
    // kept, its results and report written anew.
    if FileSystem.existingKind(of: folder + "/results.json") != nil
      && FileSystem.existingKind(of: folder + "/report.html") != nil
    {
      throw RunError(
        "\(MessageText.quoted(folder)) already holds results.json and report.html; choose another "
          + "--out")
    }
    if FileSystem.existingKind(of: folder + "/config.toml") != nil {
      throw RunError(
        "\(MessageText.quoted(folder)) holds a training run (config.toml); choose another --out")
    }
    if let data = try? FileSystem.contents(of: folder + "/results.json"),
      (try? ExperimentResults.decoder.decode(ExperimentResults.self, from: Data(data)))?.experiment
        != type(of: experiment).name
    {
      // Finishing the report is for this experiment's own results only.
      throw RunError(
        "\(MessageText.quoted(folder)) holds the results.json of another sweep; choose another --out"
      )
    }
    do {
      try FileSystem.createDirectories(folder)
      let hold = try DirectoryLock.take(folder, holder: DirectoryLock.ddpWriter)
      try FileSystem.createDirectories(folder + "/jobs")
      return hold
    } catch {
      throw RunError("\(error)")
    }
  }

  /// Runs (or takes from an earlier, interrupted sweep) every job, printing one line each.
  public func run() throws -> ExperimentResults {
    let specs = try experiment.jobs()
    var finished: [ExperimentJob] = []
    var ranAgain = Set<String>()
    let began = monotonicSeconds()
    for (index, spec) in specs.enumerated() {
      let head = "[\(index + 1)/\(specs.count)] \(spec.record.name)"
      if spec.dependencies.allSatisfy({ !ranAgain.contains($0) }), let kept = try keptResult(spec) {
        finished.append(kept)
        print("\(head): kept from an earlier run (\(experiment.describe(kept)))")
        continue
      }
      ranAgain.insert(spec.record.name)
      let started = monotonicSeconds()
      var job = try execute(spec)
      job.seconds = monotonicSeconds() - started
      try write(job, to: jobFolder(spec) + "/result.json")
      finished.append(job)
      print(
        "\(head): \(experiment.describe(job)) [\(fmt(job.seconds, 1)) s, "
          + "\(fmt(monotonicSeconds() - began, 0)) s in all]")
      fflush(nil)
    }
    return ExperimentResults(
      experiment: type(of: experiment).name, size: settings.size.rawValue,
      workers: settings.workers, seeds: settings.seeds, overrides: settings.overrides,
      date: ISO8601DateFormatter().string(from: Date()), host: ProcessInfo.processInfo.hostName,
      cores: ProcessInfo.processInfo.activeProcessorCount, jobs: finished,
      claims: experiment.claims(finished))
  }

  /// Writes `results.json` and `report.html`; returns the Markdown summary.
  public func publish(_ results: ExperimentResults) throws -> String {
    let summary = results.claims.map { "\($0.verdict.rawValue): \($0.claim)" }
      .joined(separator: " · ")
    try AtomicFile.write(
      text: String(decoding: try results.encoded(), as: UTF8.self) + "\n",
      to: folder + "/results.json")
    try AtomicFile.write(
      text: results.html(
        title: experiment.title, summary: summary, figures: experiment.figures(results.jobs)),
      to: folder + "/report.html")
    return results.markdownSummary()
  }

  func jobFolder(_ spec: ExperimentJobSpec) -> String { folder + "/jobs/" + spec.record.name }

  /// The result of an earlier run of this very job (same resolved config), if there is one.
  func keptResult(_ spec: ExperimentJobSpec) throws -> ExperimentJob? {
    let directory = jobFolder(spec)
    guard let toml = try? FileSystem.text(of: directory + "/job.toml"),
      toml == spec.config.tomlText,
      let data = try? FileSystem.contents(of: directory + "/result.json")
    else { return nil }
    return try? ExperimentResults.decoder.decode(ExperimentJob.self, from: Data(data))
  }

  /// Runs one job from a clean folder.
  func execute(_ spec: ExperimentJobSpec) throws -> ExperimentJob {
    let directory = jobFolder(spec)
    try? FileManager.default.removeItem(atPath: directory)
    do {
      try FileSystem.createDirectories(directory)
      try AtomicFile.write(text: spec.config.tomlText, to: directory + "/job.toml")
    } catch {
      throw RunError("cannot write \(MessageText.quoted(directory)): \(error)")
    }
    var job = spec.record
    switch spec.kind {
    case .probeAtInit(let rounds, let batch):
      let probe = try runProbe(
        ["--config", directory + "/job.toml"], rounds: rounds, batch: batch, in: directory)
      job.gradientNorms = probe.gradientNorms
      job.updateRatios = probe.updateRatios
    case .trainRecall(let episodes):
      try runTraining(&job, in: directory)
      if job.status == "ok" { try runRecallEval(&job, episodes: episodes, in: directory) }
    case .trainClassifier:
      try runTraining(&job, in: directory)
      if job.status == "ok" { try runTestEval(&job, in: directory) }
    case .naiveBayes:
      try runNaiveBayes(&job, config: spec.config)
    case .train(let probeRounds, let batch):
      try runTraining(&job, in: directory)
      if let probeRounds, job.status == "ok" {
        let probe = try runProbe(
          ["--checkpoint", directory + "/run"], rounds: probeRounds, batch: batch, in: directory)
        job.updateRatios = probe.updateRatios
      }
    }
    return job
  }

  /// `ddp probe` on the job's workers; its JSON result.
  func runProbe(_ model: [String], rounds: Int, batch: Int, in directory: String) throws
    -> LayerProbeResult
  {
    let output = directory + "/probe.json"
    let log = directory + "/probe.log"
    let arguments =
      ["probe"] + model + ["--batches", "\(rounds)", "--batch", "\(batch)", "--out", output]
    try JobLauncher.requireSuccess(
      launcher.run(workers: settings.workers, arguments: arguments, log: log, silentLimit: 60),
      job: "probe of \(directory)", log: log)
    do {
      return try JSONStyle.decode(
        LayerProbeResult.self, from: try FileSystem.text(of: output), source: output)
    } catch {
      throw RunError("the probe wrote no result: \(error)")
    }
  }

  /// `ddp train` on the job's workers. A run stopped by a non-finite loss or gradient is a
  /// result (`diverged`); any other failure ends the sweep.
  func runTraining(_ job: inout ExperimentJob, in directory: String) throws {
    let log = directory + "/train.log"
    let status = try launcher.run(
      workers: settings.workers,
      arguments: ["train", "--config", directory + "/job.toml", "--out", directory + "/run"],
      log: log, silentLimit: 60)
    let text = (try? FileSystem.text(of: log)) ?? ""
    let diverged = status == 1 && text.contains("is not finite")
    if !diverged { try JobLauncher.requireSuccess(status, job: "training \(job.name)", log: log) }
    let measurement = try RunMeasurement(directory: directory + "/run")
    let steps = measurement.steps
    job.lossCurve = steps.map(\.loss)
    let warmup = steps.count / 10
    job.tokensPerSecond = measurement.median(afterWarmup: warmup) { $0.tokensPerSecond }
    if measurement.measured(afterWarmup: warmup).allSatisfy({ ($0.computeSeconds?.mean ?? 0) > 0 })
    {
      job.computeTokensPerSecond = measurement.median(afterWarmup: warmup) {
        $0.tokensPerSecond * $0.stepSeconds / ($0.computeSeconds?.mean ?? 1)
      }
    }
    if diverged {
      job.status = "diverged"
      job.divergedAtStep = (steps.last?.step ?? 0) + 1
    } else {
      job.validationLoss = steps.last?.evalLoss
    }
    let logged = steps.compactMap(\.layerGradientNorms)
    if !logged.isEmpty {
      var means: [String: [Double]] = [:]
      for name in logged[0].keys {
        let series = logged.compactMap { $0[name] }
        means[name] = (0..<job.layers).map { l in
          series.map { $0[l] }.reduce(0, +) / Double(series.count)
        }
      }
      job.gradientNorms = means
    }
  }

  func write(_ job: ExperimentJob, to path: String) throws {
    let json = try ExperimentResults.encoder.encode(job)
    try AtomicFile.write(text: String(decoding: json, as: UTF8.self) + "\n", to: path)
  }
}
