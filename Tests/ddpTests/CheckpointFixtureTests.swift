import Foundation
import XCTest

/// Checkpoints of the linear kinds written by an earlier build still load and give the same
/// loss (issue 14: the chunkwise kernels replaced the T × T ones; the parameters did not
/// change, and later kernel work must not change them either).
///
/// `Tests/Fixtures/checkpoints` holds the final checkpoints of two tiny runs (`linear.ckpt`,
/// `fastweight.ckpt`: d_model 8, 2 heads, 1 layer, context 32, 40 steps on `eval.txt`,
/// written on 2026-12-03 by the chunkwise build; `README.md` there says how) and
/// `expected.json`: per kind the loss `ddp eval --data eval.txt` printed then, and the loss
/// of `Tests/python/reference_loss.py`, numpy's float64 recurrences of DESIGN.md's formulas,
/// which share no code with the trainer's kernels.
final class CheckpointFixtureTests: XCTestCase {
  /// 1e-5 relative: float32 evaluation may change its summation order with the kernels (a few
  /// ulps per position over 1,000 positions), never the model it computes.
  static let tolerance = 1e-5
  static let kinds = ["linear", "fastweight"]

  var folder: URL { packageRoot.appendingPathComponent("Tests/Fixtures/checkpoints") }

  /// Per kind: `ddp_eval` and `numpy` losses.
  func expected() throws -> [String: [String: Double]] {
    let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
    return try XCTUnwrap(
      try JSONSerialization.jsonObject(with: data) as? [String: [String: Double]])
  }

  func testFixtureCheckpointsGiveTheirStoredLoss() throws {
    let expected = try expected()
    for kind in Self.kinds {
      let stored = try XCTUnwrap(expected[kind]?["ddp_eval"], kind)
      let eval = try runDDP([
        "eval", "--checkpoint", folder.appendingPathComponent("\(kind).ckpt").path,
        "--data", folder.appendingPathComponent("eval.txt").path,
      ])
      XCTAssertEqual(eval.status, 0, "\(kind): \(eval.stderr)")
      let loss = try XCTUnwrap(try lastJSONLine(eval.stdout)["loss"] as? Double, eval.stdout)
      XCTAssertEqual(
        loss, stored, accuracy: Self.tolerance * stored, "\(kind): \(loss) against \(stored)")
    }
  }

  /// The stored losses are the model's, not only the build's: numpy's recurrences agree with
  /// them to 1e-5 relative (float64 against float32).
  func testStoredLossesAgreeWithTheNumpyReference() throws {
    let expected = try expected()
    for kind in Self.kinds {
      let ours = try XCTUnwrap(expected[kind]?["ddp_eval"], kind)
      let numpy = try XCTUnwrap(expected[kind]?["numpy"], kind)
      XCTAssertEqual(ours, numpy, accuracy: Self.tolerance * numpy, kind)
    }
  }

  /// And numpy still computes them, from the exported tensors of the fixture checkpoints.
  func testNumpyReferenceRecomputesTheStoredLosses() throws {
    guard
      (try? runProcess("/usr/bin/env", ["python3", "-c", "import safetensors, numpy"]))?.status
        == 0
    else { throw XCTSkip("python3 with safetensors and numpy is not installed") }
    let expected = try expected()
    let work = try temporaryWorkDirectory("fixture")
    let script = packageRoot.appendingPathComponent("Tests/python/reference_loss.py").path
    for kind in Self.kinds {
      let model = work.appendingPathComponent("\(kind).safetensors").path
      let export = try runDDP([
        "export", "--checkpoint", folder.appendingPathComponent("\(kind).ckpt").path,
        "--output", model,
      ])
      XCTAssertEqual(export.status, 0, export.stderr)
      let numpy = try runProcess(
        "/usr/bin/env", ["python3", script, model, folder.appendingPathComponent("eval.txt").path])
      XCTAssertEqual(numpy.status, 0, numpy.stderr)
      let loss = try XCTUnwrap(try lastJSONLine(numpy.stdout)["loss"] as? Double, numpy.stdout)
      let stored = try XCTUnwrap(expected[kind]?["numpy"], kind)
      // The same float64 computation on the same float32 tensors: equal but for BLAS order.
      XCTAssertEqual(loss, stored, accuracy: 1e-9 * stored, kind)
    }
  }
}
