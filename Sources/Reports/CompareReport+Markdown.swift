import Config
import Foundation
import Models
import Support

extension CompareResults {
  /// The sweep as Markdown, for the terminal and the README: the headline (a few sentences
  /// computed from the data, one list item each), then one table row per point in a fixed order (transport, mode,
  /// norm, workers), columns padded so the table also reads as plain text.
  ///
  /// ```
  /// | transport | mode   | norm      | workers | ms/step [q1–q3]   | ... | parity max \|Δθ\| |
  /// |-----------|--------|-----------|--------:|------------------:|-----|------------------:|
  /// | shm       | strong | layernorm |       1 | 20.3 [19.8–21.0]  | ... |                 - |
  /// | shm       | strong | layernorm |       4 | 7.82 [7.61–8.30]  | ... |         3.1e-07 ✓ |
  /// ```
  ///
  /// Times are split as `StepBreakdown` says (compute, gradient and norm-statistics transfer,
  /// waiting), with the quartiles over steps in brackets where the results have them; a note
  /// under the table defines each. Missing values (no 1-worker point for the efficiency, parity
  /// outside strong scaling) are written `-`.
  public func markdownTable() -> String {
    let columns: [(title: String, numeric: Bool)] = [
      ("transport", false), ("mode", false), ("norm", false), ("workers", true),
      ("ms/step [q1–q3]", true), ("compute ms [q1–q3]", true), ("gradient transfer ms", true),
      ("norm-stats transfer ms", true), ("waiting ms", true), ("norm-stats calls/step", true),
      ("norm-stats bytes/step", true), ("gradient MB/step", true), ("tokens/s", true),
      ("efficiency", true), ("final loss", true), ("parity max \\|Δθ\\|", true),
    ]
    var table = TextTable(
      columns.map { TextTable.Column($0.title, alignment: $0.numeric ? .right : .left) })
    for point in orderedPoints { table.append(markdownCells(point)) }
    let headline = headline { "**\(CompareOrder.displayName(norm: $0))**" }.map { "- " + $0 }
      .joined(separator: "\n")
    return headline + "\n\n" + table.markdown() + "\n\n" + timeNote + "\n"
      + (oversubscriptionNote.map { "\n" + $0 + "\n" } ?? "")
  }

  /// The points sorted by transport (shm, cluster), mode (strong, weak), norm (layernorm,
  /// rmsnorm, batchnorm, syncbatchnorm, none), then workers; unknown names after known ones.
  public var orderedPoints: [ComparePoint] {
    points.sorted {
      (
        CompareOrder.rank($0.transport, CompareOrder.transports),
        CompareOrder.rank($0.mode, CompareOrder.modes),
        CompareOrder.rank($0.norm, CompareOrder.norms), $0.workers
      ) < (
        CompareOrder.rank($1.transport, CompareOrder.transports),
        CompareOrder.rank($1.mode, CompareOrder.modes),
        CompareOrder.rank($1.norm, CompareOrder.norms), $1.workers
      )
    }
  }

  /// What the time columns mean, under the table.
  public var timeNote: String {
    "Medians over steps \(warmup + 1)-\(steps)"
      + (points.contains { $0.perStep != nil } ? ", [first–third quartile]" : "") + ". "
      + Self.computeDefinition + " " + Self.transferDefinition
      + " Waiting is the rest of the step: for slower workers, for a free core and at the "
      + "timing barriers."
  }

  private func markdownCells(_ point: ComparePoint) -> [String] {
    let parts = point.breakdown
    return [
      point.transport, point.mode, point.norm, workersLabel(point),
      ReportFormat.spread(point.stepMs, point.stepQuartiles),
      ReportFormat.spread(parts.compute, point.computeQuartiles),
      ReportFormat.milliseconds(parts.gradientTransfer),
      ReportFormat.milliseconds(parts.normStatsTransfer),
      ReportFormat.milliseconds(parts.waiting),
      ReportFormat.count(point.normStatsCallsPerStep),
      ReportFormat.bytes(point.normStatsBytesPerStep),
      ReportFormat.megabytes(point.gradientBytesPerStep),
      ReportFormat.grouped(point.tokensPerSecond), ReportFormat.percent(point.scalingEfficiency),
      ReportFormat.loss(point.finalLoss), ReportFormat.parity(point),
    ]
  }
}

/// The canonical order and display names of the sweep's transports, modes and norms.
public enum CompareOrder {
  public static let transports = ["shm", "cluster"]
  public static let modes = ["strong", "weak"]
  public static let norms = NormKind.allCases.map(\.rawValue)

  /// Position of `value` in `order`; values not in it come after, in the order they are given.
  public static func rank(_ value: String, _ order: [String]) -> Int {
    order.firstIndex(of: value) ?? order.count
  }

  /// The distinct values of `values` in canonical order (unknown ones last, alphabetically).
  public static func sorted(_ values: [String], _ order: [String]) -> [String] {
    Set(values).sorted { (rank($0, order), $0) < (rank($1, order), $1) }
  }

  /// How the report names a norm in prose: LayerNorm, RMSNorm, BatchNorm, SyncBatchNorm.
  /// Names come from the norm's `NormLayer` type; a name no kind has is printed as it is.
  public static func displayName(norm: String) -> String {
    NormKind(rawValue: norm)?.displayName ?? norm
  }
}

/// Number formats shared by the Markdown table and the HTML report; every one writes `-` for a
/// missing or non-finite value, never `nan` or `inf`.
public enum ReportFormat {
  /// Milliseconds with three significant digits or so: 0.42, 7.82, 20.3, 153.
  public static func milliseconds(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    let size = abs(value)
    let decimals = size < 10 ? 2 : size < 100 ? 1 : 0
    return fmt(value, decimals)
  }

  /// Quartiles in milliseconds as `23.9–25.1`.
  public static func range(_ quartiles: Quartiles) -> String {
    milliseconds(quartiles.lower) + "–" + milliseconds(quartiles.upper)
  }

  /// A median in milliseconds with its quartiles, `24.3 [23.9–25.1]`; alone without them.
  public static func spread(_ median: Double, _ quartiles: Quartiles?) -> String {
    milliseconds(median) + (quartiles.map { " [" + range($0) + "]" } ?? "")
  }

  /// A count per step: an integer when it is one (10), otherwise one decimal (2.5).
  public static func count(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    return value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.1f", value)
  }

  /// Bytes with a decimal unit: 0 B, 640 B, 5.1 kB, 1.23 MB, 2.00 GB.
  public static func bytes(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    let size = abs(value)
    if size < 1e3 { return String(format: "%.0f B", value) }
    if size < 1e6 { return String(format: "%.1f kB", value / 1e3) }
    if size < 1e9 { return String(format: "%.2f MB", value / 1e6) }
    return String(format: "%.2f GB", value / 1e9)
  }

  /// Bytes as megabytes (10⁶ B) with two decimals.
  public static func megabytes(_ value: Double) -> String {
    value.isFinite ? fmt(value / 1e6, 2) : "-"
  }

  /// A whole number with thousands separated by commas: 123,456.
  public static func grouped(_ value: Double) -> String {
    guard value.isFinite, abs(value) < 1e18 else { return "-" }
    let digits = String(Int(abs(value).rounded()))
    var result = ""
    for (index, digit) in digits.enumerated() {
      if index > 0, (digits.count - index) % 3 == 0 { result += "," }
      result.append(digit)
    }
    return (value < 0 && result != "0" ? "-" : "") + result
  }

  /// A fraction as a whole percentage (0.874 → 87%).
  public static func percent(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "-" }
    return String(format: "%.0f%%", value * 100)
  }

  public static func loss(_ value: Double) -> String {
    value.isFinite ? fmt(value, 3) : "-"
  }

  /// Two significant digits in scientific notation (3.1e-07); 0 as `0`.
  public static func scientific(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    return value == 0 ? "0" : String(format: "%.1e", value)
  }

  /// A point's largest parameter difference against one worker, with ✓ when it is within the
  /// tolerance and ✗ when not; `-` when not measured.
  public static func parity(_ point: ComparePoint) -> String {
    guard let difference = point.parityMaxDifference else { return "-" }
    let verdict = point.matchesOneWorker.map { $0 ? " ✓" : " ✗" } ?? ""
    return scientific(difference) + verdict
  }
}

/// What the sweep shows about one norm over its points with more than one worker: whether it
/// communicates, how much, and whether its workers end where one worker does.
public struct NormVerdict {
  public var norm: String
  /// The largest norm-statistics calls and bytes per optimizer step over those points.
  public var callsPerStep: Double
  public var bytesPerStep: Double
  /// callsPerStep over the model's norm layers; nil when the results name no norm layers.
  public var callsPerNormLayer: Double?
  /// true when every measured parity is within the tolerance, false when one is not, nil when
  /// none was measured.
  public var matchesOneWorker: Bool?
  public var largestParityDifference: Double?
  /// The point whose times are quoted: the most workers, preferring shm and strong scaling.
  public var reference: ComparePoint

  public var communicates: Bool { callsPerStep > 0 }
}

extension CompareResults {
  /// One verdict per norm that has points with more than one worker, in canonical order.
  public func normVerdicts() -> [NormVerdict] {
    let distributed = points.filter { $0.workers > 1 }
    return CompareOrder.sorted(distributed.map(\.norm), CompareOrder.norms).compactMap { norm in
      let mine = distributed.filter { $0.norm == norm }
      guard let reference = mine.min(by: { quotedBefore($0, $1) }) else { return nil }
      let calls = mine.map(\.normStatsCallsPerStep).filter(\.isFinite).max() ?? 0
      let parities = mine.compactMap(\.matchesOneWorker)
      return NormVerdict(
        norm: norm, callsPerStep: calls,
        bytesPerStep: mine.map(\.normStatsBytesPerStep).filter(\.isFinite).max() ?? 0,
        callsPerNormLayer: normLayers > 0 ? calls / Double(normLayers) : nil,
        matchesOneWorker: parities.isEmpty ? nil : parities.allSatisfy { $0 },
        largestParityDifference: mine.compactMap(\.parityMaxDifference).filter(\.isFinite).max(),
        reference: reference)
    }
  }

  /// The headline in a few sentences computed from the data: which norms communicate, at what
  /// cost, and which match one worker. `name` renders a norm (its display name, bold in
  /// Markdown, coloured in HTML) and `plain` the other names the results hold (transport and
  /// mode, escaped for HTML); the fixed text has no markup characters.
  public func headline(name: (String) -> String, plain: (String) -> String = { $0 }) -> [String] {
    let verdicts = normVerdicts()
    guard !verdicts.isEmpty else {
      return ["Only single-worker points were measured: there is nothing to compare yet."]
    }
    func names(_ group: [NormVerdict]) -> String {
      let rendered = group.map { name($0.norm) }
      guard rendered.count > 1 else { return rendered.first ?? "" }
      return rendered.dropLast().joined(separator: ", ") + " and " + (rendered.last ?? "")
    }
    let tolerance = toleranceText
    var sentences: [String] = []
    let silent = verdicts.filter { !$0.communicates && $0.matchesOneWorker != false }
    if !silent.isEmpty {
      var sentence =
        names(silent) + (silent.count == 1 ? " needs" : " need")
        + " no communication between workers: 0 norm-statistics calls and 0 bytes per step"
      if silent.allSatisfy({ $0.matchesOneWorker == true }),
        let worst = silent.compactMap(\.largestParityDifference).max()
      {
        let workers = silent.map(\.reference.workers).max() ?? 2
        sentence +=
          ", and \(counted(workers, "worker")) end with the parameters of 1 worker"
          + " (max |Δθ| \(ReportFormat.scientific(worst)) ≤ \(tolerance))"
      }
      sentences.append(sentence + ".")
    }
    for verdict in verdicts where verdict.communicates {
      sentences.append(
        syncSentence(verdict, name: name(verdict.norm), plain: plain))
    }
    let disagreeing = verdicts.filter { !$0.communicates && $0.matchesOneWorker == false }
    if !disagreeing.isEmpty {
      let worst = disagreeing.compactMap(\.largestParityDifference).max() ?? .nan
      sentences.append(
        names(disagreeing)
          + (disagreeing.count == 1
            ? " does not communicate, but its workers disagree"
            : " do not communicate, but their workers disagree")
          + ": parameters differ from 1 worker by up to \(ReportFormat.scientific(worst))"
          + " (tolerance \(tolerance)).")
    }
    return sentences
  }

  /// The sentence for a norm that exchanges statistics: calls, bytes, time and parity.
  private func syncSentence(
    _ verdict: NormVerdict, name: String, plain: (String) -> String
  ) -> String {
    let calls = ReportFormat.count(verdict.callsPerStep)
    let volume = "\(calls) calls, \(ReportFormat.bytes(verdict.bytesPerStep))"
    let perLayer = verdict.callsPerNormLayer.map {
      "\(ReportFormat.count($0)) calls per norm layer per step (\(volume))"
    }
    let point = verdict.reference
    var sentence =
      name + " must sync statistics in every norm layer, forward and backward: "
      + (perLayer ?? "\(volume) per step")
      + ". At \(counted(point.workers, "worker")) (\(plain(point.transport)), \(plain(point.mode))) their "
      + "transfer takes \(ReportFormat.milliseconds(point.breakdown.normStatsTransfer)) ms of the"
      + " \(ReportFormat.milliseconds(point.stepMs)) ms step, and rank 0 spends "
      + "\(ReportFormat.milliseconds(point.normStatsWaitMs)) ms inside those all-reduces"
      + " (transfer plus waiting for the slowest worker)"
    switch verdict.matchesOneWorker {
    case true?: sentence += "; its parameters match 1 worker"
    case false?:
      sentence +=
        "; yet its parameters differ from 1 worker by up to "
        + ReportFormat.scientific(verdict.largestParityDifference ?? .nan)
    case nil: break
    }
    return sentence + "."
  }

  /// Whether `a` is a better point to quote than `b`: more workers, then shm before cluster,
  /// strong before weak.
  private func quotedBefore(_ a: ComparePoint, _ b: ComparePoint) -> Bool {
    (
      -a.workers, CompareOrder.rank(a.transport, CompareOrder.transports),
      CompareOrder.rank(a.mode, CompareOrder.modes)
    ) < (
      -b.workers, CompareOrder.rank(b.transport, CompareOrder.transports),
      CompareOrder.rank(b.mode, CompareOrder.modes)
    )
  }
}
