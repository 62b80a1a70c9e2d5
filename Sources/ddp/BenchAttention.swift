import ArgumentParser
import Config
import Support
import Training

/// `ddp bench attention`: ms per call of one layer's softmax attention, the fused kernel against
/// the per-head sgemm path (`AttentionBenchmark` does the measuring).
struct BenchAttention: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "attention",
    abstract: "Time softmax attention: the fused kernel against per-head sgemm.",
    discussion: """
      Times one layer's causal softmax attention (forward, then backward) at the config's \
      micro-batch, context, d_model and heads, the fused BLAS-free kernel and the per-head \
      sgemm path in turn, call by call, so a busy machine slows them alike; prints the best and \
      median ms per call, the median thread-CPU ms (apart from the wall median when calls were \
      preempted), ms per step (x layers), the fused kernel's six products timed alone (what \
      the kernel would take if it did nothing else) and the speedup, then one JSON line. Single \
      thread. The fused kernel takes T and head size that are multiples of 16; other shapes run \
      sgemm on both paths.

      Example:
        ddp bench attention --config configs/bench.toml --repeats 20
      """)

  @Option(
    parsing: .unconditional,
    help: "A run configuration: its micro-batch, context, d_model, heads and layers.")
  var config: String
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key of --config.")
  var overrides: [String] = []
  @Option(parsing: .unconditional, help: "Timed calls of each path; best and median count.")
  var repeats = 20

  func validate() throws {
    guard (1...1_000_000).contains(repeats) else {
      throw ValidationError("--repeats must be in 1...1000000, got \(repeats)")
    }
  }

  func run() throws {
    if LaunchEnvironment.current.rank != 0 { return }
    let run = try reportingInputErrors { () throws -> RunConfig in
      let run = try RunConfig.load(path: config, overrides: overrides)
      // Its layers hold a training step's attention tensors: refused before allocating them.
      try MemoryCheck.require(run, microBatch: run.train.batch / run.train.gradAccum)
      return run
    }
    guard run.model.attention == .softmax else {
      throw ValidationError(
        "ddp bench attention times softmax attention; \(config) has model.attention = "
          + "\(run.model.attention.rawValue)")
    }
    let bench = AttentionBenchmark(run: run, repeats: repeats)
    let hs = bench.channels / bench.heads
    print(
      "ddp bench attention: B \(bench.batch), T \(bench.time), C \(bench.channels), "
        + "H \(bench.heads) (head size \(hs)), \(counted(bench.layers, "layer")); \(repeats) interleaved "
        + "calls, 1 thread"
        + (bench.fusedApplies ? "" : "; this shape runs sgemm on both paths"))
    let timings = bench.measure()
    print(bench.table(timings))
    print(try JSONStyle.line(timings))
  }
}
