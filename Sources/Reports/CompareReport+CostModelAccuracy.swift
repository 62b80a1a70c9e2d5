import Foundation
import Support

/// One prediction of the cost model against what the sweep measured at one point.
///
/// ```
/// error = (predicted − measured) / measured     (negative: the model is too optimistic)
/// ```
public struct CostModelCheck: Equatable {
  public enum Collective: String {
    case gradients = "gradients"
    case normStatistics = "norm statistics"
  }

  public var point: ComparePoint
  public var collective: Collective
  public var predictedMs: Double
  public var measuredMs: Double

  public var error: Double { (predictedMs - measuredMs) / measuredMs }
  /// Norm statistics over shared memory: latency-bound ~1 kB calls whose time inside a step is
  /// scheduling on busy cores, which the α–β fit of back-to-back calls does not describe. The
  /// report states them as outside the model's scope instead of scoring them.
  public var outsideScope: Bool { point.transport == "shm" && collective == .normStatistics }
  /// |error| ≤ 30%, with a margin of 1e-9 so that a prediction exactly 30% off counts as within.
  public var withinTolerance: Bool { abs(error) <= CompareResults.costModelTolerance + 1e-9 }

  /// Why the model misses here: the mechanism measured for this transport and collective on
  /// this machine (see the README's cost-model notes), by the direction of the miss.
  public var cause: String {
    switch (point.transport, collective, error < 0) {
    case ("shm", .gradients, true):
      return "the benchmark reduces one buffer over and over, warm in the cache; a step reduces "
        + "gradients the backward has just written through the cache, so the shared-memory "
        + "copies run slower than fitted"
    case ("cluster", .gradients, true):
      return "TCP over the shaped link had slow steps: packets delivered out of order make TCP "
        + "retransmit and shrink its window (launch/cluster steers each flow to one core to "
        + "prevent it; check `nstat` in a host for TcpRetransSegs and TCPSACKReorder)"
    case ("cluster", .normStatistics, true):
      return "latency-bound TCP messages: the first message after the compute pays the wake-up "
        + "of the receiving side and, with more ranks than cores, a wait for a core, which "
        + "back-to-back benchmark calls never do"
    case (_, _, false):
      return "the step's single call ran faster than back-to-back benchmark calls (queues and "
        + "links start idle after the compute)"
    default:
      return "not analysed for this transport"
    }
  }
}

extension CompareResults {
  /// The largest relative error still counted as a good prediction.
  public static let costModelTolerance = 0.30

  /// Every prediction of the sweep against its measurement: gradients at every point with more
  /// than one worker, norm statistics where they were exchanged.
  public func costModelChecks() -> [CostModelCheck] {
    points.flatMap { point -> [CostModelCheck] in
      var checks: [CostModelCheck] = []
      if let predicted = point.predictedGradientMs, predicted > 0 {
        let measured = point.gradientTransferMs ?? point.gradientWaitMs
        if measured > 0 {
          checks.append(
            CostModelCheck(
              point: point, collective: .gradients, predictedMs: predicted, measuredMs: measured))
        }
      }
      if let predicted = point.predictedNormStatsMs, predicted > 0,
        point.normStatsCallsPerStep > 0
      {
        let measured = point.normStatsTransferMs ?? point.normStatsWaitMs
        if measured > 0 {
          checks.append(
            CostModelCheck(
              point: point, collective: .normStatistics, predictedMs: predicted,
              measuredMs: measured))
        }
      }
      return checks
    }
  }

  /// One line per transport and collective: how many predictions fall within the tolerance,
  /// and the range of the errors; after them, the groups outside the model's scope, with their
  /// measured and predicted ranges and the reason, but no error figures.
  public func costModelSummary() -> [String] {
    let checks = costModelChecks()
    var lines: [String] = []
    var outside: [String] = []
    for transport in transports {
      for collective in [CostModelCheck.Collective.gradients, .normStatistics] {
        let group = checks.filter {
          $0.point.transport == transport && $0.collective == collective
        }
        guard let low = group.map(\.error).min(), let high = group.map(\.error).max() else {
          continue
        }
        if group.allSatisfy(\.outsideScope) {
          outside.append(outsideScopeLine(transport, collective, group))
          continue
        }
        let within = group.filter(\.withinTolerance).count
        lines.append(
          "\(transport), \(collective.rawValue): \(within) of \(group.count) predictions within "
            + "\(Int(CompareResults.costModelTolerance * 100))% (errors \(signedPercent(low)) "
            + "to \(signedPercent(high)))")
      }
    }
    return lines + outside
  }

  /// `shm, norm statistics: outside the model's scope: ...; measured 0.05–0.45 ms per step,
  /// predicted 0.01–0.02 ms (4 points)`.
  private func outsideScopeLine(
    _ transport: String, _ collective: CostModelCheck.Collective, _ group: [CostModelCheck]
  ) -> String {
    func range(_ values: [Double]) -> String {
      let (low, high) = (values.min() ?? .nan, values.max() ?? .nan)
      return low == high
        ? ReportFormat.milliseconds(low)
        : ReportFormat.milliseconds(low) + "–" + ReportFormat.milliseconds(high)
    }
    let alphas = fits.filter { $0.transport == transport }.map { $0.alpha * 1e6 }
    let alpha = alphas.isEmpty ? "a few µs" : range(alphas) + " µs"
    return "\(transport), \(collective.rawValue): outside the model's scope. Calls of about 1 kB "
      + "are pure latency: α is \(alpha) back to back, but inside a step each call "
      + "follows a barrier on cores busy with the other ranks' compute, so its time is the "
      + "scheduler's (waking the thread, waiting for a core), which an α–β fit does not model. "
      + "Measured transfer \(range(group.map(\.measuredMs))) ms per step, predicted "
      + "\(range(group.map(\.predictedMs))) ms (\(group.count) point"
      + (group.count == 1 ? ")" : "s)")
  }

  /// The summary and every miss beyond the tolerance with its cause, as HTML (predictions
  /// outside the model's scope are stated in the summary, not listed as misses).
  public func costModelAccuracyHTML() -> String {
    let summary = costModelSummary()
    guard !summary.isEmpty else { return "" }
    let misses = costModelChecks().filter { !$0.withinTolerance && !$0.outsideScope }
    let tolerance = "\(Int(CompareResults.costModelTolerance * 100))%"
    var html =
      "<h3>How close the model comes</h3>\n<ul class=\"accuracy\">\n"
      + summary.map { "<li>\($0.xmlEscaped)</li>" }.joined(separator: "\n") + "\n</ul>\n"
    guard !misses.isEmpty else {
      return html + "<p class=\"caption\">No prediction misses by more than \(tolerance).</p>\n"
    }
    html += "<h3>Where it misses by more than \(tolerance), and why</h3>\n<ul class=\"misses\">\n"
    for miss in misses {
      let p = miss.point
      let label =
        "\(p.transport), \(p.mode), \(p.norm), \(counted(p.workers, "worker")), "
        + "\(miss.collective.rawValue): predicted \(ReportFormat.milliseconds(miss.predictedMs)) ms, measured "
        + "\(ReportFormat.milliseconds(miss.measuredMs)) ms (\(signedPercent(miss.error)))"
      html += "<li><b>\(label.xmlEscaped)</b>: \(miss.cause.xmlEscaped).</li>\n"
    }
    return html + "</ul>\n"
  }

  private func signedPercent(_ x: Double) -> String {
    String(format: "%+.0f%%", x * 100)
  }
}
