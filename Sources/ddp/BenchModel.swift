import ArgumentParser
import Config
import Distributed
import Experiments
import Foundation
import Kernels
import Models
import Reports
import Support
import Training

/// `ddp bench [model] --config FILE`: times full training steps of a config on this process.
struct BenchModel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model",
    abstract: "Time training steps (forward, backward, AdamW) of a config.",
    discussion: """
      Prints tokens/s, ms/step, the GEMM floor (every sgemm shape of a step timed alone, \
      best of 20, times its calls per step) and step / floor, where the step's time goes (GEMM, \
      attention, norms, elementwise, optimizer, communication), each sgemm shape's rate in the \
      step against alone (all in wall time and in the thread CPU time that leaves out the \
      waits for a core of a loaded machine), model FLOPs per step (6·parameters·tokens + 12·L·T·C·tokens), \
      achieved GFLOP/s and its ratio to a 1024³ sgemm alone (a reference, not a ceiling), and \
      peak resident memory against what the model needs, as tables and as one JSON line. \
      Tokens are random bytes: speed does not depend on the text. Under \
      `mpirun -np N` it reports tokens/s over all workers, the scaling efficiency against one \
      worker with the same global batch (measured first, by rank 0), and the bucketed gradient \
      all-reduce against a bare MPI_Allreduce of the same size.

      Example:
        ddp bench --config configs/bench.toml --set model.norm=rmsnorm
      """)

  @Option(parsing: .unconditional, help: "TOML run configuration.") var config: String
  @Option(
    name: .customLong("set"), parsing: .unconditionalSingleValue,
    help: "Override a key, e.g. --set train.batch=16.")
  var overrides: [String] = []
  @Option(parsing: .unconditional, help: "Timed steps (after warm-up).") var steps = 10
  @Option(parsing: .unconditional, help: "Untimed warm-up steps.") var warmup = 2
  @OptionGroup var threadsOption: ThreadsOption

  /// Calls of each sgemm shape timed alone for the floor; the best counts.
  static let floorRepeats = 20

  func validate() throws {
    guard (1...100_000).contains(steps) else {
      throw ValidationError("--steps must be in 1...100000, got \(steps)")
    }
    guard (0...100_000).contains(warmup) else {
      throw ValidationError("--warmup must be in 0...100000, got \(warmup)")
    }
  }

  func run() throws {
    let blasThreads = BLASThreads.forThisProcess(option: threadsOption.threads)
    setBLASThreads(blasThreads.count)
    let run = try reportingInputErrors { try RunConfig.load(path: config, overrides: overrides) }
    // The whole batch on one worker is the most any rank holds (under mpirun, rank 0 measures
    // one worker first); every rank checks alike, so the refusal is one line from rank 0.
    try reportingInputErrors {
      try MemoryCheck.require(run, microBatch: run.train.batch / run.train.gradAccum)
    }
    if MPICommunicator.detectMPILaunch() {
      let communicator = MPICommunicator()
      if communicator.size > 1 {
        let bench = DistributedBench(
          run: run, communicator: communicator, steps: steps, warmup: warmup,
          blasThreads: blasThreads,
          blasCoreSource: BLASEnvironment.coreTypeSource(loaded: blasCoreName))
        do { try bench.measure() } catch {
          communicator.abort(message: "ddp: \(error)", code: 2)
        }
        communicator.finalize()
        return
      }
      communicator.finalize()
    }
    let m = run.model
    let batch = run.train.batch / run.train.gradAccum
    let model = try reportingInputErrors {
      try Transformer(config: m, batch: batch, seed: run.train.seed)
    }
    let optimizer = AdamW(
      layout: model.layout.parameters, beta1: Float(run.train.beta1),
      beta2: Float(run.train.beta2), weightDecay: Float(run.train.weightDecay))
    var rng = RandomNumbers(seed: run.train.seed)
    let n = batch * m.context
    let tokens = (0..<n).map { _ in Int32(rng.nextInt(below: m.vocabSize)) }
    let targets = (0..<n).map { _ in Int32(rng.nextInt(below: m.vocabSize)) }

    // The reference: a 1024³ sgemm alone, best of 10 before and after the steps. The floor:
    // every sgemm shape of the profiled steps, each timed alone after them.
    var alone = measureSgemmRate(repeats: 10)
    let profiler = StepProfiler()
    var (times, cpuTimes): ([Double], [Double]) = ([], [])
    var phases = [Double](repeating: 0, count: 3)  // forward, backward, optimizer
    var loss: Float = 0
    for i in 0..<(warmup + steps) {
      if i == warmup { stepProfiler = profiler }
      let (start, cpuStart) = (monotonicSeconds(), threadCPUSeconds())
      profiled(.optimizer) { model.zeroGradients() }
      loss = model.forward(tokens: tokens, targets: targets)
      let forwardDone = monotonicSeconds()
      model.backward()
      let backwardDone = monotonicSeconds()
      profiled(.optimizer) {
        let scale = clippingScale(norm: gradientNorm(model.gradients), maxNorm: run.train.clip)
        optimizer.update(
          parameters: model.parameters, gradients: model.gradients, lr: Float(run.train.lr),
          gradScale: scale)
      }
      let (end, cpuEnd) = (monotonicSeconds(), threadCPUSeconds())
      if i >= warmup {
        times.append(end - start)
        cpuTimes.append(cpuEnd - cpuStart)
        phases[0] += forwardDone - start
        phases[1] += backwardDone - forwardDone
        phases[2] += end - backwardDone
      }
    }
    stepProfiler = nil
    // The peak of training itself, read before the floor's timings allocate their own buffers.
    let peakResident = peakResidentBytes()
    let floor = StepFloor(
      profiler: profiler, steps: steps, stepSeconds: times.reduce(0, +),
      stepCPUSeconds: cpuTimes.reduce(0, +), repeats: Self.floorRepeats,
      attention: StepFloor.AttentionProducts.timedAlone(
        model: m, batch: batch, repeats: Self.floorRepeats))
    alone = max(alone, measureSgemmRate(repeats: 10))
    let seconds = times.sorted()[times.count / 2]
    let phaseMS = phases.map { $0 / Double(steps) * 1e3 }
    let tokensPerStep = Double(n)
    let flops =
      6 * Double(model.parameterCount) * tokensPerStep
      + 12 * Double(m.nLayers * m.context * m.dModel) * tokensPerStep
    let gflops = flops / seconds / 1e9
    let stateBytes = 4 * (4 * model.parameterCount + model.buffers.count)
    let activationBytes = 4 * model.activationCount
    let report = BenchReport(
      parameters: model.parameterCount, tokensPerStep: n, msPerStep: seconds * 1e3,
      tokensPerSecond: tokensPerStep / seconds, flopsPerStep: flops, gflops: gflops,
      floorMS: floor.floorMS, stepOverFloor: seconds * 1e3 / floor.floorMS,
      coldFloorMS: floor.coldFloorMS, stepOverColdFloor: seconds * 1e3 / floor.coldFloorMS,
      stepOverAllProductsFloor: floor.attentionProducts.map { _ in
        seconds * 1e3 / floor.allProductsFloorMS
      },
      attentionProductsMS: floor.attentionProducts?.floorMS,
      sgemmAloneGflops: alone, mfuAlone: gflops / alone,
      peakResidentMB: Double(peakResident ?? 0) / 1e6,
      modelStateMB: Double(stateBytes) / 1e6, activationMB: Double(activationBytes) / 1e6,
      loss: Double(loss), threads: blasThreads.count,
      threadsSource: blasThreads.source.rawValue, blasCore: blasCoreName,
      blasCoreSource: BLASEnvironment.coreTypeSource(loaded: blasCoreName), forwardMS: phaseMS[0],
      backwardMS: phaseMS[1],
      optimizerMS: phaseMS[2], floor: floor)
    print(report.table)
    print(
      "\nwhere a step goes (mean of \(counted(steps, "step")); a phase is charged its own time only)"
    )
    print(floor.phaseTable)
    print(
      "\nsgemm shapes of one step: one call in the step (mean) against alone (best of \(Self.floorRepeats))"
    )
    print(floor.shapeTable)
    print(try report.jsonLine())
  }
}
