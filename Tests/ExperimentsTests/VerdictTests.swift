import Experiments
import Reports
import XCTest

/// Verdicts come from the data: made-up jobs that follow each paper's claim are called
/// reproduced, jobs that contradict it not reproduced, and seeds that disagree inconclusive.
final class VerdictTests: XCTestCase {
  func settings(seeds: Int = 3) -> ExperimentSettings {
    ExperimentSettings(
      size: .quick, workers: 2, seeds: (1...seeds).map(UInt64.init), overrides: [])
  }

  // MARK: gradients

  /// Probe jobs whose last-block norm scales as L^postSlope (Post-LN) and L^preSlope
  /// (Pre-LN), with per-seed jitter, and per-block norms rising by `postGrowth` from first to
  /// last block for Post-LN (flat for Pre-LN).
  func gradientJobs(
    postSlope: Double, preSlope: Double, postGrowth: Double = 3, jitter: Double = 0.01
  ) -> [ExperimentJob] {
    var jobs: [ExperimentJob] = []
    for placement in ["post", "pre", "residual"] {
      for initialization in ["xavier", "gpt2"] {
        for layers in [3, 6, 12, 24] {
          for seed in UInt64(1)...3 {
            var job = ExperimentJob(
              name: "\(placement)-\(initialization)-L\(layers)-s\(seed)", experiment: "gradients",
              placement: placement, initialization: initialization, layers: layers, dModel: 64,
              seed: seed, lr: 0, warmup: 0, steps: 0, workers: 2)
            let slope = placement == "post" ? postSlope : preSlope
            let growth = placement == "post" ? postGrowth : 1
            let last = 0.1 * pow(Double(layers), slope) * (1 + jitter * Double(seed))
            let norms = (0..<layers).map { l in
              last * pow(growth, Double(l) / Double(max(1, layers - 1)) - 1)
            }
            job.gradientNorms = ["mlp.proj": norms, "attn.qkv": norms]
            jobs.append(job)
          }
        }
      }
    }
    return jobs
  }

  func testGradientsVerdictsFollowTheData() {
    let experiment = GradientsExperiment(settings: settings())
    let paper = experiment.claims(gradientJobs(postSlope: 0, preSlope: -0.5))
    XCTAssertEqual(paper.map(\.verdict), [.reproduced, .reproduced, .reproduced])
    let contrary = experiment.claims(
      gradientJobs(postSlope: -0.5, preSlope: 0, postGrowth: 1 / 3))
    XCTAssertEqual(contrary.map(\.verdict), [.notReproduced, .notReproduced, .notReproduced])
    // Seeds whose slopes scatter across the band's edge decide nothing.
    var noisy = gradientJobs(postSlope: 0, preSlope: -0.5)
    for i in noisy.indices where noisy[i].placement == "post" && noisy[i].layers == 24 {
      let factor = noisy[i].seed == 1 ? 3.0 : noisy[i].seed == 2 ? 1 / 3.0 : 1
      let scaled = noisy[i].gradientNorms?["mlp.proj"]?.map { $0 * factor }
      noisy[i].gradientNorms?["mlp.proj"] = scaled
    }
    XCTAssertEqual(experiment.claims(noisy)[0].verdict, .inconclusive)
  }

  // MARK: warmup

  func warmupJobs(postWithoutWarmup: Double?, preWithoutWarmup: Double = 2.5) -> [ExperimentJob] {
    let experiment = WarmupExperiment(settings: settings(seeds: 2))
    return (try? experiment.jobs())!.map { spec in
      var job = spec.record
      let withWarmup = 2.5 + 0.001 * Double(job.seed)
      switch (job.placement, job.warmup) {
      case ("post", 0):
        if let loss = postWithoutWarmup {
          job.validationLoss = loss + 0.001 * Double(job.seed)
        } else {
          job.status = "diverged"
          job.divergedAtStep = 17
        }
      case ("pre", 0), ("residual", 0):
        job.validationLoss = preWithoutWarmup + 0.001 * Double(job.seed)
      default:
        job.validationLoss = withWarmup
      }
      return job
    }
  }

  func testWarmupVerdictsFollowTheData() {
    let experiment = WarmupExperiment(settings: settings(seeds: 2))
    XCTAssertEqual(
      experiment.claims(warmupJobs(postWithoutWarmup: nil)).map(\.verdict),
      [.reproduced, .reproduced, .reproduced])
    XCTAssertEqual(
      experiment.claims(warmupJobs(postWithoutWarmup: 2.9)).map(\.verdict),
      [.reproduced, .reproduced, .reproduced])
    XCTAssertEqual(
      experiment.claims(warmupJobs(postWithoutWarmup: 2.5, preWithoutWarmup: 3.0)).map(\.verdict),
      [.notReproduced, .notReproduced, .notReproduced])
  }

  // MARK: depth

  func depthJobs(post: Double, residual: Double, preLateOverEarly: Double) -> [ExperimentJob] {
    let experiment = DepthExperiment(settings: settings(seeds: 2))
    return (try? experiment.jobs())!.map { spec in
      var job = spec.record
      let jitter = 0.001 * Double(job.seed)
      job.validationLoss =
        (job.placement == "post" ? post : job.placement == "residual" ? residual : 2.0) + jitter
      let late = job.placement == "pre" ? preLateOverEarly : 1
      job.updateRatios = (0..<48).map { $0 < 24 ? 1 : late + jitter }
      return job
    }
  }

  func testDepthVerdictsFollowTheData() {
    let experiment = DepthExperiment(settings: settings(seeds: 2))
    XCTAssertEqual(
      experiment.claims(depthJobs(post: 2.4, residual: 1.95, preLateOverEarly: 0.2)).map(
        \.verdict),
      [.reproduced, .reproduced, .reproduced])
    XCTAssertEqual(
      experiment.claims(depthJobs(post: 1.9, residual: 2.3, preLateOverEarly: 1.0)).map(
        \.verdict),
      [.notReproduced, .notReproduced, .notReproduced])
  }

  // MARK: statistics

  func testSlopeAndSpread() {
    XCTAssertEqual(logLogSlope([(1, 2), (4, 1), (16, 0.5)]), -0.5, accuracy: 1e-12)
    XCTAssertTrue(logLogSlope([(1, 2)]).isNaN)
    let spread = SeedSpread([1, 2, 3])
    XCTAssertEqual(spread.mean, 2)
    XCTAssertEqual(spread.deviation, 1)
    XCTAssertEqual(spread.verdict(predicted: -1...5), .reproduced)
    XCTAssertEqual(spread.verdict(predicted: 4.5...9), .notReproduced)
    XCTAssertEqual(spread.verdict(predicted: 1...9), .inconclusive)
    XCTAssertEqual(SeedSpread([]).verdict(predicted: 0...1), .inconclusive)
  }

  /// A mean that rounds to zero prints without a sign; one that does not keeps it.
  func testSpreadTextHasNoSignedZero() {
    XCTAssertEqual(SeedSpread([-0.001, 0.0004, -0.0003]).text(), "0.00 ± 0.00 (3 seeds)")
    XCTAssertEqual(SeedSpread([-0.0004]).text(), "0.00 (1 seed)")
    XCTAssertEqual(SeedSpread([-0.48, -0.5, -0.46]).text(), "-0.48 ± 0.02 (3 seeds)")
  }
}
