import Datasets
import Distributed
import Foundation
import Support
import Training
import XCTest

/// metrics.jsonl lines and summary.json: the documented keys, NaN as null, and a missing or
/// renamed key failing with the file, line and key instead of reading as 0.
final class StepRecordTests: XCTestCase {
  func sampleComm() -> CollectiveSnapshot {
    var comm = CollectiveSnapshot()
    comm[.gradients] = CollectiveCounters(calls: 2, bytes: 4096, seconds: 0.25)
    comm[.normStats] = CollectiveCounters(calls: 6, bytes: 264, seconds: 0.125)
    comm[.control] = CollectiveCounters(calls: 1, bytes: 8, seconds: 0.5)
    return comm
  }

  func sampleRecord() -> StepRecord {
    StepRecord(
      step: 7, loss: 2.5, learningRate: 3e-4, gradNorm: 1.25, stepSeconds: 0.0625,
      tokensPerSecond: 1024, comm: sampleComm(),
      leastWait: LeastWaits(gradients: 0.03125, normStatistics: 0.015625))
  }

  /// The keys README documents for metrics.jsonl, `eval_loss` and `skipped` only when set.
  func testStepRecordWritesTheDocumentedKeys() throws {
    let plain = try JSONStyle.line(sampleRecord())
    XCTAssertFalse(plain.contains("\n"), "one line per record")
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(plain.utf8)) as? [String: Any])
    XCTAssertEqual(
      Set(object.keys),
      [
        "step", "loss", "lr", "grad_norm", "step_seconds", "tokens_per_s", "comm",
        "least_wait_seconds",
      ])
    XCTAssertEqual(
      Set(try XCTUnwrap(object["least_wait_seconds"] as? [String: Any]).keys),
      ["gradients", "norm_stats"])
    XCTAssertEqual(
      Set(try XCTUnwrap(object["comm"] as? [String: Any]).keys),
      ["gradients", "norm_stats", "control"])
    XCTAssertTrue(plain.hasPrefix(#"{"comm":{"control":{"bytes":8,"calls":1,"seconds":0.5}"#))
    var evaluated = sampleRecord()
    evaluated.evalLoss = 2.75
    evaluated.skipped = true
    let both = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(try JSONStyle.line(evaluated).utf8))
        as? [String: Any])
    XCTAssertEqual(both["eval_loss"] as? Double, 2.75)
    XCTAssertEqual(both["skipped"] as? Bool, true)
  }

  /// Writer to text to reader gives the record back; NaN and infinities go through null.
  func testStepRecordRoundTripsWithNonFiniteAsNull() throws {
    var record = sampleRecord()
    record.loss = .nan
    record.gradNorm = .infinity
    record.evalLoss = .nan
    record.skipped = true
    let line = try JSONStyle.line(record)
    XCTAssertTrue(line.contains(#""loss":null"#), line)
    XCTAssertTrue(line.contains(#""grad_norm":null"#), line)
    XCTAssertTrue(line.contains(#""eval_loss":null"#), line)
    let back = try JSONStyle.decode(StepRecord.self, from: line, source: "test")
    XCTAssertTrue(back.loss.isNaN)
    XCTAssertTrue(back.gradNorm.isNaN)
    XCTAssertTrue(try XCTUnwrap(back.evalLoss).isNaN)
    XCTAssertEqual(back.skipped, true)
    XCTAssertEqual(back.step, record.step)
    XCTAssertEqual(back.learningRate, record.learningRate)
    XCTAssertEqual(back.stepSeconds, record.stepSeconds)
    XCTAssertEqual(back.tokensPerSecond, record.tokensPerSecond)
    XCTAssertEqual(back.comm, record.comm)
    XCTAssertEqual(back.leastWait, record.leastWait)

    let finite = try JSONStyle.decode(
      StepRecord.self, from: try JSONStyle.line(sampleRecord()), source: "test")
    XCTAssertEqual(finite.loss, 2.5)
    XCTAssertNil(finite.evalLoss)
    XCTAssertFalse(finite.skipped)
    XCTAssertEqual(finite.seconds(.normStats), 0.125)
    XCTAssertEqual(finite.calls(.normStats), 6)
    XCTAssertEqual(finite.bytes(.gradients), 4096)
  }

  /// A renamed key (as a writer with a typo would produce) and a missing nested key are errors
  /// naming the source, the line and the key the reader wanted.
  func testRenamedOrMissingKeyFailsNamingIt() throws {
    let line = try JSONStyle.line(sampleRecord())
    let cases = [
      (#""step_seconds":"#, #""step_secs":"#, "step_seconds"),
      (#""lr":"#, #""learning_rate":"#, "lr"),
      (#""norm_stats":0.015625"#, #""normstats":0.015625"#, "least_wait_seconds.norm_stats"),
      (#""calls":6,"#, "", "comm.norm_stats.calls"),
    ]
    for (key, renamed, expected) in cases {
      XCTAssertTrue(line.contains(key), key)
      let broken = line.replacingOccurrences(of: key, with: renamed)
      XCTAssertThrowsError(
        try JSONStyle.decode(StepRecord.self, from: broken, source: #""m.jsonl" line 3"#)
      ) { error in
        XCTAssertEqual("\(error)", #""m.jsonl" line 3: no key "\#(expected)""#)
      }
    }
    XCTAssertThrowsError(
      try JSONStyle.decode(
        StepRecord.self, from: line.replacingOccurrences(of: #""step":7"#, with: #""step":"7""#),
        source: "s")
    ) { error in
      XCTAssertTrue("\(error)".hasPrefix(#"s: "step" is not a "#), "\(error)")
    }
  }

  /// summary.json of a run records the data it trained on under `data`, and reads it back.
  func testRunSummaryRecordsTheDataFingerprint() throws {
    let data = DataFingerprint(files: [.init(name: "cookie", bytes: 42, hash: 0xABCD)])
    let summary = RunSummary(
      steps: 1, finalTrainLoss: 2.5, finalValidationLoss: 2.5, wallSeconds: 1,
      tokensPerSecond: 1, peakMemoryMB: 1, workers: 1, parameters: 1, comm: sampleComm(),
      data: data)
    let text = try JSONStyle.document(summary)
    XCTAssertTrue(text.contains(#""fingerprint" : "\#(DataFingerprint.hex(data.value))""#), text)
    XCTAssertTrue(text.contains(#""fnv1a64" : "0x000000000000abcd""#), text)
    let back = try JSONStyle.decode(RunSummary.self, from: text, source: "summary.json")
    XCTAssertEqual(back.data, data)
  }

  /// summary.json: pretty-printed, sorted, the documented keys, a NaN loss as null, and back.
  func testRunSummaryRoundTripsPrettyPrinted() throws {
    let summary = RunSummary(
      steps: 12, finalTrainLoss: 2.5, finalValidationLoss: .nan, wallSeconds: 3.5,
      tokensPerSecond: 2048, peakMemoryMB: 64.5, workers: 2, parameters: 1000,
      comm: sampleComm())
    let text = try JSONStyle.document(summary)
    XCTAssertTrue(text.hasPrefix("{\n  \"comm\" : {\n"), text)
    XCTAssertTrue(text.hasSuffix("}\n"), text)
    XCTAssertTrue(text.contains(#""final_val_loss" : null"#), text)
    let object = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    XCTAssertEqual(
      Set(object.keys),
      [
        "steps", "final_train_loss", "final_val_loss", "wall_seconds", "tokens_per_s",
        "peak_memory_mb", "workers", "parameters", "comm",
      ])
    let back = try JSONStyle.decode(RunSummary.self, from: text, source: "summary.json")
    XCTAssertEqual(back.steps, 12)
    XCTAssertEqual(back.finalTrainLoss, 2.5)
    XCTAssertTrue(back.finalValidationLoss.isNaN)
    XCTAssertEqual(back.workers, 2)
    XCTAssertEqual(back.parameters, 1000)
    XCTAssertEqual(back.peakMemoryMB, 64.5)
    XCTAssertEqual(back.comm, sampleComm())
    let renamed = text.replacingOccurrences(of: #""wall_seconds""#, with: #""wall_s""#)
    XCTAssertThrowsError(
      try JSONStyle.decode(RunSummary.self, from: renamed, source: #""run/summary.json""#)
    ) { error in
      XCTAssertEqual("\(error)", #""run/summary.json": no key "wall_seconds""#)
    }
  }
}
