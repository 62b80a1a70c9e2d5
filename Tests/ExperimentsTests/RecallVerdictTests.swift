import Experiments
import Reports
import XCTest

/// `ddp experiment recall`'s verdicts come from the data: made-up accuracies shaped as Schlag
/// et al. report them are called reproduced, the opposite not reproduced, and seeds that
/// straddle a threshold inconclusive.
final class RecallVerdictTests: XCTestCase {
  func experiment(seeds: Int = 3, size: ExperimentSize = .full) -> RecallExperiment {
    RecallExperiment(
      settings: ExperimentSettings(
        size: size, workers: 2, seeds: (1...seeds).map(UInt64.init), overrides: []))
  }

  /// One job per kind, S, setting and seed with accuracy `accuracy(kind, S, overwrite)` plus a
  /// small per-seed jitter.
  func jobs(
    _ e: RecallExperiment, accuracy: (String, Int, Bool) -> Double, jitter: Double = 0.005
  ) throws -> [ExperimentJob] {
    try e.jobs().map { spec in
      var job = spec.record
      let (kind, pairs, overwrite) = (
        try XCTUnwrap(job.attention), try XCTUnwrap(job.pairs), try XCTUnwrap(job.overwrite)
      )
      job.accuracy = min(1, accuracy(kind, pairs, overwrite) + jitter * Double(job.seed))
      return job
    }
  }

  /// As the paper: softmax perfect; the sum rule perfect up to d_dot = 8 then falling; the
  /// delta rule holding; in setting 2 only the delta rule solving it.
  func paper(_ kind: String, _ pairs: Int, _ overwrite: Bool) -> Double {
    switch (kind, overwrite) {
    case ("softmax", _): return 0.99
    case ("fastweight", _): return 0.95
    case (_, true): return 0.4
    default: return pairs <= 8 ? 0.95 : 0.35
    }
  }

  func testPaperShapedResultsAreReproduced() throws {
    let e = experiment()
    let claims = e.claims(try jobs(e, accuracy: paper))
    XCTAssertEqual(claims.map(\.verdict), Array(repeating: .reproduced, count: 4))
    for claim in claims { XCTAssertFalse(claim.measured.contains("nan"), claim.measured) }
  }

  /// Softmax solves every S but every linear kind stays at chance: no capacity claim holds.
  func testLinearKindsAtChanceAreNotReproduced() throws {
    let e = experiment()
    let claims = e.claims(
      try jobs(e, accuracy: { kind, _, _ in kind == "softmax" ? 0.99 : 1.0 / 7 }))
    XCTAssertEqual(
      claims.map(\.verdict), [.reproduced, .notReproduced, .notReproduced, .notReproduced])
  }

  /// Nothing learned at all (every kind at chance): softmax's claim fails, and the capacity
  /// claims are inconclusive, whatever their numbers, since the task was not learned.
  func testUnlearnedTaskLeavesCapacityClaimsInconclusive() throws {
    let e = experiment()
    let claims = e.claims(
      try jobs(e, accuracy: { kind, s, _ in kind == "fastweight_sum" && s <= 4 ? 0.6 : 1.0 / 7 }))
    XCTAssertEqual(
      claims.map(\.verdict), [.notReproduced, .inconclusive, .inconclusive, .inconclusive])
  }

  /// Seeds that scatter across the 0.9 line leave the softmax claim undecided.
  func testScatteredSeedsAreInconclusive() throws {
    let e = experiment()
    var made = try jobs(e, accuracy: paper)
    for i in made.indices where made[i].attention == "softmax" && made[i].pairs == 16 {
      made[i].accuracy = [0.99, 0.8, 0.95][Int(made[i].seed) - 1]
    }
    XCTAssertEqual(e.claims(made)[0].verdict, .inconclusive)
  }

  /// The quick sweep (setting 1 at S up to 2·d_dot, setting 2 at S = d_dot, one seed) names
  /// every job once and draws one chart per setting, with the d_dot line; its verdicts come
  /// from the same rules.
  func testQuickSweepAndFigures() throws {
    let e = experiment(seeds: 1, size: .quick)
    let specs = try e.jobs()
    XCTAssertEqual(specs.count, (3 + 1) * 4)
    XCTAssertEqual(Set(specs.map(\.record.name)).count, specs.count)
    for spec in specs {
      XCTAssertEqual(spec.config.model.context, (spec.record.pairs ?? 0) + 1)
      XCTAssertEqual(spec.config.model.dModel / spec.config.model.nHeads, 8)
      // Every key of the episodes' vocabulary in every episode: S keys, or S/2 in setting 2.
      let pairs = spec.record.pairs ?? 0
      XCTAssertEqual(spec.config.data.recallKeys, spec.record.overwrite == true ? pairs / 2 : pairs)
    }
    let figures = e.figures(try jobs(e, accuracy: paper))
    let svg = figures.flatMap(\.charts).joined()
    XCTAssertEqual(figures.flatMap(\.charts).count, 2)
    XCTAssertTrue(svg.contains("S = d_dot = 8"), "the d_dot line")
    XCTAssertEqual(
      e.claims(try jobs(e, accuracy: paper)).map(\.verdict),
      Array(repeating: .reproduced, count: 4))
  }
}
