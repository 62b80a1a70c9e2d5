import Kernels
import Support

extension StepFloor {
  /// Mean ms per step of each phase, its share of the step, its part of step − floor (GEMM:
  /// its time above the floor; every other phase: all of its time), and the same two in thread
  /// CPU time.
  ///
  /// ```
  /// phase          ms/step  share  over floor  CPU ms/step  CPU over floor
  /// GEMM             205.1  84.2%         4.8        201.0             2.1  floor 200.3: 1.02x
  /// ...
  /// step (mean)      243.5   100%        43.2        236.0            35.7
  /// ```
  public var phaseTable: String {
    var table = TextTable([
      .init("phase"), .init("ms/step", alignment: .right), .init("share", alignment: .right),
      .init("over floor", alignment: .right), .init("CPU ms/step", alignment: .right),
      .init("CPU over floor", alignment: .right), .init(),
    ])
    func row(_ name: String, _ ms: Double, _ cpu: Double, floors: (Double, Double), _ note: String)
    {
      table.append([
        name, fmt(ms, 2), fmt(100 * ms / stepMS, 1) + "%", fmt(ms - floors.0, 2), fmt(cpu, 2),
        fmt(cpu - floors.1, 2), note,
      ])
    }
    for phase in StepPhase.allCases {
      let (ms, cpu) = (phaseMS[phase.name] ?? 0, phaseCPUMS[phase.name] ?? 0)
      switch phase {
      case .gemm:
        let note = "floor \(fmt(floorMS, 2)) (CPU \(fmt(floorCPUMS, 2))): \(fmt(ms / floorMS, 2))x"
        row(phase.name, ms, cpu, floors: (floorMS, floorCPUMS), note)
      case .attention where attentionProducts != nil:
        let products = attentionProducts!
        let note =
          "products alone \(fmt(products.floorMS, 2)) (CPU \(fmt(products.floorCPUMS, 2))): "
          + "\(fmt(ms / products.floorMS, 2))x"
        row(phase.name, ms, cpu, floors: (0, 0), note)
      case .communication where ms == 0:
        row(phase.name, ms, cpu, floors: (0, 0), "(one worker: none)")
      default:
        row(phase.name, ms, cpu, floors: (0, 0), "")
      }
    }
    row("other", otherMS, otherCPUMS, floors: (0, 0), "(outside the profiled kernels)")
    row("step (mean)", stepMS, stepCPUMS, floors: (floorMS, floorCPUMS), "")
    return table.text() + "\n" + gemmBreakdown
  }

  /// The two summary rows of the cold floor, for a step of `stepMS` (a median; the CPU ratio
  /// uses the profiled steps' mean); `whose` follows the first label (" (rank 0)").
  ///
  /// ```
  /// GEMM floor, operands cold ms/step        292.2 (each call after a 64 MB cache sweep)
  /// step / cold floor                        1.12x (thread CPU time, mean: 1.12x)
  /// ```
  public func coldFloorRows(stepMS: Double, whose: String = "") -> [(String, String)] {
    [
      (
        "GEMM floor, operands cold ms/step" + whose,
        "\(fmt(coldFloorMS, 1)) (each call after a \(fmt(sweepMB, 0)) MB cache sweep)"
      ),
      (
        "step / cold floor",
        "\(fmt(stepMS / coldFloorMS, 2))x (thread CPU time, mean: "
          + "\(fmt(stepCPUMS / coldFloorCPUMS, 2))x)"
      ),
    ]
  }

  /// The GEMM phase against the floor, in thread CPU ms, with two figures between: the alone
  /// timings' mean (the statistic of the step), the cold floor, and the replay of the step's
  /// calls in order.
  ///
  /// ```
  /// GEMM CPU ms/step: floor (alone, best) 301.3 · alone, mean 309.0 · alone, cold 315.2 ·
  ///   replay in step order (mean, best) 312.4, 305.1 · in the step 326.8
  /// ```
  public var gemmBreakdown: String {
    "GEMM CPU ms/step: floor (alone, best) \(fmt(floorCPUMS, 1)) · alone, mean "
      + "\(fmt(aloneMeanCPUMS, 1)) · alone, cold \(fmt(coldFloorCPUMS, 1))"
      + " · replay in step order (mean, best) \(fmt(replayCPUMS, 1)), "
      + "\(fmt(replayBestCPUMS, 1)) · in the step \(fmt(phaseCPUMS[StepPhase.gemm.name] ?? 0, 1))"
  }

  /// One row per sgemm shape: calls per step, ms of one call alone and in the step, their
  /// rates, the ratio (and in thread CPU time), the best alone CPU time over the mean alone and
  /// over the mean in the replay (``GEMMReplay``), the best alone on operands from memory and
  /// the step's rate against it, and the shape's part of the floor.
  public var shapeTable: String {
    var table = TextTable([
      .init("sgemm M×N×K op β"), .init("calls", alignment: .right),
      .init("alone ms", alignment: .right), .init("step ms", alignment: .right),
      .init("alone GFLOP/s", alignment: .right), .init("step GFLOP/s", alignment: .right),
      .init("step/alone", alignment: .right), .init("CPU step/alone", alignment: .right),
      .init("CPU alone mean", alignment: .right), .init("CPU replay/alone", alignment: .right),
      .init("cold ms", alignment: .right), .init("step/cold", alignment: .right),
      .init("floor ms", alignment: .right),
    ])
    for s in shapes {
      table.append([
        s.shape, "\(s.callsPerStep)", fmt(s.aloneMS, 3), fmt(s.inStepMS, 3),
        fmt(s.aloneGflops, 1), fmt(s.inStepGflops, 1), fmt(100 * s.inStepOverAlone, 1) + "%",
        fmt(100 * s.inStepOverAloneCPU, 1) + "%",
        fmt(100 * s.aloneCPUMS / s.aloneMeanCPUMS, 1) + "%",
        fmt(100 * s.aloneCPUMS / s.replayCPUMS, 1) + "%", fmt(s.aloneColdMS, 3),
        fmt(100 * s.inStepOverAloneCold, 1) + "%", fmt(s.floorMS, 2),
      ])
    }
    return table.text()
  }
}
