import Foundation
import Support
import Training

/// The figures `ddp bench` prints: the summary table and the JSON line (the floor's phase and
/// shape tables are printed from `floor`).
struct BenchReport: Codable {
  var parameters: Int
  var tokensPerStep: Int
  var msPerStep: Double
  var tokensPerSecond: Double
  var flopsPerStep: Double
  var gflops: Double
  /// The GEMM floor of one step: every sgemm shape alone, times its calls (`StepFloor`).
  var floorMS: Double
  /// Median step / floor.
  var stepOverFloor: Double
  /// The floor with every call's operands from memory (`StepFloor.coldFloorMS`), and the
  /// median step over it.
  var coldFloorMS: Double
  var stepOverColdFloor: Double
  /// Median step / (floor + the fused attention products alone); nil without them.
  var stepOverAllProductsFloor: Double?
  /// The fused attention products alone, every layer (`floor.attentionProducts.floorMS`): at
  /// the top level too, where the `mpirun` bench's flat report has it.
  var attentionProductsMS: Double?
  /// Best of 10 1024³ sgemm runs on their own, before and after the steps: a reference rate
  /// (the model's products have other shapes, so it is no ceiling of theirs).
  var sgemmAloneGflops: Double
  /// Achieved GFLOP/s / `sgemmAloneGflops`.
  var mfuAlone: Double
  var peakResidentMB: Double
  /// Parameters, gradients, two AdamW moments and running statistics.
  var modelStateMB: Double
  var activationMB: Double
  var loss: Double
  var threads: Int
  /// What set `threads`: --threads, OPENBLAS_NUM_THREADS, or cores / workers on this host.
  var threadsSource: String
  /// The OpenBLAS kernels this process runs (`blasCoreName`).
  var blasCore: String
  /// What chose them (`BLASEnvironment.coreTypeSource`).
  var blasCoreSource: String
  /// Mean time per step of each phase; forward includes zeroing the gradients.
  var forwardMS: Double
  var backwardMS: Double
  /// Gradient norm, clipping and the AdamW update.
  var optimizerMS: Double
  /// Per-phase breakdown and per-shape rates.
  var floor: StepFloor

  var table: String {
    let needed = modelStateMB + activationMB
    let rows: [(String, String)] =
      [
        ("OpenBLAS threads", "\(threads) (\(threadsSource))"),
        ("OpenBLAS kernels", "\(blasCore) (\(blasCoreSource))"),
        ("parameters", "\(parameters)"),
        ("tokens/step", "\(tokensPerStep)"),
        ("ms/step (median)", fmt(msPerStep, 1)),
        (
          "  forward / backward / optimizer (mean)",
          [forwardMS, backwardMS, optimizerMS].map { fmt($0, 1) }.joined(separator: " / ")
        ),
        (
          "GEMM floor ms/step",
          "\(fmt(floorMS, 1)) (\(floor.callsPerStep) sgemm calls, \(floor.shapes.count) shapes, "
            + "each alone)"
        ),
        (
          "step / floor",
          "\(fmt(stepOverFloor, 2))x (thread CPU time, mean: "
            + "\(fmt(floor.stepCPUMS / floor.floorCPUMS, 2))x)"
        ),
      ] + floor.coldFloorRows(stepMS: msPerStep) + floor.allProductsRows(stepMS: msPerStep) + [
        ("tokens/s", fmt(tokensPerSecond, 0)),
        ("model GFLOP/step", fmt(flopsPerStep / 1e9, 2)),
        ("achieved GFLOP/s", fmt(gflops, 1)),
        (
          "reference: sgemm 1024³ alone GFLOP/s",
          "\(fmt(sgemmAloneGflops, 1)) (\(counted(threads, "thread")))"
        ),
        ("achieved / sgemm 1024³", fmt(100 * mfuAlone, 1) + "%"),
        ("peak resident MB", fmt(peakResidentMB, 1)),
        ("params+grads+AdamW+activations MB", fmt(needed, 1)),
        ("peak / needed", fmt(peakResidentMB / needed, 2) + "x"),
      ]
    return TextTable.keyValue(rows)
  }

  func jsonLine() throws -> String {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}
