import Config
import Models
import XCTest

/// What each norm kind's type declares: its tensors (DESIGN.md's export names), whether it
/// uses batch statistics, whether its running statistics are averaged across workers, and what
/// it exchanges per application (DESIGN.md section 4).
final class NormLayerTests: XCTestCase {
  let c = 8

  func testTensorsFollowTheExportNames() {
    let expected: [NormKind: ([String], [String])] = [
      .layernorm: (["weight", "bias"], []),
      .rmsnorm: (["weight"], []),
      .batchnorm: (["weight", "bias"], ["running_mean", "running_var"]),
      .syncbatchnorm: (["weight", "bias"], ["running_mean", "running_var"]),
      .none: ([], []),
    ]
    for kind in NormKind.allCases {
      let config = ModelConfig(
        dModel: c, nHeads: 2, nLayers: 1, context: 4, norm: kind, placement: .pre,
        attention: .softmax)
      let layout = ModelLayout(config)
      let (parameters, buffers) = expected[kind] ?? ([], [])
      for prefix in ["h.0.norm_1", "h.0.norm_2", "norm_f"] {
        let names = layout.parameters.entries.map(\.name).filter { $0.hasPrefix(prefix + ".") }
        XCTAssertEqual(names, parameters.map { prefix + "." + $0 }, "\(kind) \(prefix)")
        let stored = layout.buffers.entries.map(\.name).filter { $0.hasPrefix(prefix + ".") }
        XCTAssertEqual(stored, buffers.map { prefix + "." + $0 }, "\(kind) \(prefix)")
        for entry in layout.parameters.entries + layout.buffers.entries
        where entry.name.hasPrefix(prefix + ".") {
          XCTAssertEqual(entry.shape, [c], entry.name)
        }
      }
    }
  }

  func testExchangeSizes() {
    for kind in NormKind.allCases {
      let counts = kind.layer.exchangeCounts(channels: c)
      if kind == .syncbatchnorm {
        XCTAssertEqual(counts, NormExchangeCounts(forward: 2 * c + 1, backward: 2 * c))
        XCTAssertEqual(counts.calls, 2)
      } else {
        XCTAssertEqual(counts, .none, "\(kind)")
      }
      XCTAssertEqual(kind.exchangesStatistics, kind == .syncbatchnorm, "\(kind)")
    }
  }

  func testBatchStatisticsAndRunningStatisticsAveraging() {
    for kind in NormKind.allCases {
      XCTAssertEqual(
        kind.usesBatchStatistics, kind == .batchnorm || kind == .syncbatchnorm, "\(kind)")
      XCTAssertEqual(kind.averagesRunningStatistics, kind == .batchnorm, "\(kind)")
    }
  }

  func testDisplayNames() {
    XCTAssertEqual(
      NormKind.allCases.map(\.displayName),
      ["LayerNorm", "RMSNorm", "BatchNorm", "SyncBatchNorm", "no norm"])
  }
}
