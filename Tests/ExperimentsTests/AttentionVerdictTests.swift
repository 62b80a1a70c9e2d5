import Experiments
import Reports
import XCTest

/// `ddp experiment attention`'s verdicts come from the data: made-up losses and speeds shaped
/// as Katharopoulos et al. and Schlag et al. report them are called reproduced, the opposite
/// not reproduced, and seeds that straddle a threshold inconclusive.
final class AttentionVerdictTests: XCTestCase {
  func experiment(seeds: Int = 3, size: ExperimentSize = .quick) -> AttentionExperiment {
    AttentionExperiment(
      settings: ExperimentSettings(
        size: size, workers: 2, seeds: (1...seeds).map(UInt64.init), overrides: []))
  }

  /// One job per kind and seed with validation loss `loss(kind)` and tokens/s `speed(kind)`,
  /// plus a small per-seed jitter (0.002 nats, 1% of the speed per seed number).
  func jobs(
    _ e: AttentionExperiment, loss: (String) -> Double, speed: (String) -> Double
  ) throws -> [ExperimentJob] {
    try e.jobs().map { spec in
      var job = spec.record
      let kind = try XCTUnwrap(job.attention)
      job.validationLoss = loss(kind) + 0.002 * Double(job.seed)
      job.computeTokensPerSecond = speed(kind) * (1 + 0.01 * Double(job.seed))
      job.tokensPerSecond = job.computeTokensPerSecond.map { $0 / 2 }
      job.lossCurve = (1...20).map { 5 / Double($0) + loss(kind) }
      return job
    }
  }

  /// As the papers: linear 3% above softmax and twice as fast at this context; the delta rule
  /// 0.03 nats below the sum rule.
  func paperLoss(_ kind: String) -> Double {
    ["softmax": 2.00, "linear": 2.06, "fastweight": 2.03, "fastweight_sum": 2.06][kind] ?? 9
  }
  func paperSpeed(_ kind: String) -> Double { kind == "softmax" ? 10_000 : 20_000 }

  func testPaperShapedResultsAreReproduced() throws {
    let e = experiment()
    let claims = e.claims(try jobs(e, loss: paperLoss, speed: paperSpeed))
    XCTAssertEqual(claims.map(\.verdict), [.reproduced, .reproduced, .reproduced])
    for claim in claims { XCTAssertFalse(claim.measured.contains("nan"), claim.measured) }
  }

  /// Linear 10% worse and slower than softmax, the delta rule worse than the sum rule: every
  /// claim is not reproduced.
  func testContraryResultsAreNotReproduced() throws {
    let e = experiment()
    let loss = { (kind: String) -> Double in
      ["softmax": 2.0, "linear": 2.2, "fastweight": 2.3, "fastweight_sum": 2.2][kind] ?? 9
    }
    let claims = e.claims(
      try jobs(e, loss: loss, speed: { $0 == "softmax" ? 20_000 : 10_000 }))
    XCTAssertEqual(claims.map(\.verdict), [.notReproduced, .notReproduced, .notReproduced])
  }

  /// A diverged fastweight run counts as a seed far above the sum rule, not as a missing one.
  func testDivergedDeltaRuleIsNotReproduced() throws {
    let e = experiment(seeds: 1)
    var made = try jobs(e, loss: paperLoss, speed: paperSpeed)
    for i in made.indices where made[i].attention == "fastweight" {
      (made[i].status, made[i].validationLoss, made[i].divergedAtStep) = ("diverged", nil, 40)
    }
    XCTAssertEqual(e.claims(made)[2].verdict, .notReproduced)
  }

  /// Seeds whose delta-rule advantage scatters across zero, and speeds scattering across
  /// parity, decide nothing.
  func testScatteredSeedsAreInconclusive() throws {
    let e = experiment()
    var made = try jobs(e, loss: paperLoss, speed: paperSpeed)
    for i in made.indices {
      let seed = Int(made[i].seed) - 1
      if made[i].attention == "fastweight" {
        made[i].validationLoss = 2.06 + [-0.05, 0.04, -0.01][seed]
      }
      if made[i].attention == "linear" {
        made[i].computeTokensPerSecond = 10_000 * [0.8, 1.3, 1.0][seed]
      }
    }
    let verdicts = e.claims(made).map(\.verdict)
    XCTAssertEqual(verdicts, [.reproduced, .inconclusive, .inconclusive])
  }

  /// The quick sweep: every kind per seed at one shape, names unique, the kind set in each
  /// config; the figures draw the loss, the speed and the training curves of every kind.
  func testQuickSweepAndFigures() throws {
    let e = experiment(seeds: 2)
    let specs = try e.jobs()
    XCTAssertEqual(specs.count, 4 * 2)
    XCTAssertEqual(Set(specs.map(\.record.name)).count, specs.count)
    for spec in specs {
      XCTAssertEqual(spec.config.model.attention.rawValue, spec.record.attention)
      XCTAssertEqual(spec.config.model.context, specs[0].config.model.context)
    }
    let figures = e.figures(try jobs(e, loss: paperLoss, speed: paperSpeed))
    let svg = figures.flatMap(\.charts).joined()
    XCTAssertEqual(figures.flatMap(\.charts).count, 3)
    for kind in ["softmax", "linear", "fastweight", "fastweight_sum"] {
      XCTAssertTrue(svg.contains(kind), kind)
    }
    XCTAssertTrue(svg.contains("data-spread"), "seed spread drawn as whiskers")
    XCTAssertFalse(svg.contains("nan"))
  }

  /// `--set model.attention` is the swept key: refused, naming it.
  func testSweptKeyIsRefused() {
    let e = AttentionExperiment(
      settings: ExperimentSettings(
        size: .quick, workers: 2, seeds: [1], overrides: ["model.attention=linear"]))
    XCTAssertThrowsError(try e.jobs()) { error in
      XCTAssertTrue("\(error)".contains("model.attention"), "\(error)")
    }
  }
}
