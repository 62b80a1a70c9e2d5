import Kernels
import Support

extension StepFloor {
  /// Mean ms per step of each phase, its share of the step, and its part of step − floor
  /// (GEMM: its time above the floor; every other phase: all of its time).
  ///
  /// ```
  /// phase          ms/step  share  over floor
  /// GEMM             205.1  84.2%         4.8
  /// ...
  /// step (mean)      243.5   100%        43.2
  /// ```
  public var phaseTable: String {
    var table = TextTable([
      .init("phase"), .init("ms/step", alignment: .right), .init("share", alignment: .right),
      .init("over floor", alignment: .right), .init(),
    ])
    func row(_ name: String, _ ms: Double, over: Double, _ note: String = "") {
      table.append([name, fmt(ms, 2), fmt(100 * ms / stepMS, 1) + "%", fmt(over, 2), note])
    }
    for phase in StepPhase.allCases {
      let ms = phaseMS[phase.name] ?? 0
      switch phase {
      case .gemm:
        row(
          phase.name, ms, over: ms - floorMS, "floor \(fmt(floorMS, 2)): \(fmt(ms / floorMS, 2))x")
      case .communication where ms == 0:
        row(phase.name, ms, over: ms, "(one worker: none)")
      default:
        row(phase.name, ms, over: ms)
      }
    }
    row("other", otherMS, over: otherMS, "(not inside a profiled kernel)")
    row("step (mean)", stepMS, over: stepMS - floorMS)
    return table.text()
  }

  /// One row per sgemm shape: calls per step, ms of one call alone and in the step, their
  /// rates, the ratio, and the shape's part of the floor.
  public var shapeTable: String {
    var table = TextTable([
      .init("sgemm M×N×K op β"), .init("calls", alignment: .right),
      .init("alone ms", alignment: .right), .init("step ms", alignment: .right),
      .init("alone GFLOP/s", alignment: .right), .init("step GFLOP/s", alignment: .right),
      .init("step/alone", alignment: .right), .init("floor ms", alignment: .right),
    ])
    for s in shapes {
      table.append([
        s.shape, "\(s.callsPerStep)", fmt(s.aloneMS, 3), fmt(s.inStepMS, 3),
        fmt(s.aloneGflops, 1), fmt(s.inStepGflops, 1), fmt(100 * s.inStepOverAlone, 1) + "%",
        fmt(s.floorMS, 2),
      ])
    }
    return table.text()
  }
}
