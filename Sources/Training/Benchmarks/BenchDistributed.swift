import Config
import Distributed
import Foundation
import Kernels
import Models
import Support

/// `ddp bench` under `mpirun -np N`: training steps of a config over N workers against one
/// worker with the same global batch, and the gradient all-reduce against a bare
/// `MPI_Allreduce` of the same size, measured in the same job.
///
/// ```
/// tokens/s (N workers)  = batch · context / median step time
/// scaling efficiency    = tokens/s (N) / (N · tokens/s (1))
/// all-reduce rate ratio = bare MPI_Allreduce seconds / bucketed gradient all-reduce seconds
/// ```
/// The one-worker figure is measured by rank 0 alone first (the other ranks wait), so on a
/// machine with fewer cores than ranks it is the cleaner of the two. The N-worker steps run
/// under a `StepProfiler` on every rank; each rank then times its sgemm shapes alone at the same
/// moment (as the steps ran, side by side), with the fused attention kernel's products where the
/// model runs it, warm and then, after a barrier, cold, and rank 0 prints its own floor and
/// phases, the communication phase included.
public struct DistributedBench {
  public let run: RunConfig
  public let communicator: any Communicator
  public let steps: Int
  public let warmup: Int
  /// The OpenBLAS threads each rank set (rank 0's), printed first.
  public var blasThreads: BLASThreads?
  /// What chose the OpenBLAS kernels (`blasCoreName`), printed beside their name.
  public var blasCoreSource: String?

  public func measure() throws {
    let (t, workers) = (run.model.context, communicator.size)
    var rng = RandomNumbers(seed: run.train.seed)
    let tokens = (0..<200_000).map { _ in UInt8(rng.nextInt(below: 256)) }
    var single = Double.nan
    if communicator.rank == 0 {
      let trainer = try Trainer(run: run, trainTokens: tokens)
      single = medianStep(trainer)
    }
    communicator.barrier(category: .control)
    let trainer = try Trainer(run: run, trainTokens: tokens, communicator: communicator)
    let before = communicator.accounting.snapshot()
    let profiler = StepProfiler()
    let (seconds, total, cpuTotal) = profiledSteps(trainer, profiler)
    let perStep = communicator.accounting.snapshot().subtracting(before)[.gradients]
    let (bucketed, bare) = timeAgainstBareAllReduce(trainer)
    communicator.barrier(category: .control)
    let floor = StepFloor(
      profiler: profiler, steps: steps, stepSeconds: total, stepCPUSeconds: cpuTotal, repeats: 20,
      attention: StepFloor.AttentionProducts.timedAlone(
        model: run.model, batch: trainer.model.batch, repeats: 20),
      beforeColdTimings: { communicator.barrier(category: .control) })
    communicator.barrier(category: .control)
    guard communicator.rank == 0 else { return }
    let tokensPerStep = Double(run.train.batch * t)
    var report: [String: Any] = [
      "workers": workers, "ms_per_step": seconds * 1e3,
      "tokens_per_second": tokensPerStep / seconds,
      "single_worker_tokens_per_second": tokensPerStep / single,
      "scaling_efficiency": single / seconds / Double(workers),
      "gradient_bytes_per_step": perStep.bytes / (steps + warmup),
      "gradient_calls_per_step": Double(perStep.calls) / Double(steps + warmup),
      "gradient_wait_ms_per_step": perStep.seconds / Double(steps + warmup) * 1e3,
      "bucketed_allreduce_ms": bucketed * 1e3, "bare_allreduce_ms": bare * 1e3,
      "allreduce_rate_ratio": bare / bucketed, "overlap": run.distributed.overlap,
      "bucket_mb": run.distributed.bucketMB, "floor_ms": floor.floorMS,
      "step_over_floor": seconds * 1e3 / floor.floorMS, "cold_floor_ms": floor.coldFloorMS,
      "step_over_cold_floor": seconds * 1e3 / floor.coldFloorMS, "phase_ms": floor.phaseMS,
      "phase_cpums": floor.phaseCPUMS, "other_ms": floor.otherMS,
    ]
    if let products = floor.attentionProducts {
      report["attention_products_ms"] = products.floorMS
      report["step_over_all_products_floor"] = seconds * 1e3 / floor.allProductsFloorMS
    }
    if let blasThreads {
      report["threads"] = blasThreads.count
      report["threads_source"] = blasThreads.source.rawValue
    }
    report["blas_core"] = blasCoreName
    if let blasCoreSource { report["blas_core_source"] = blasCoreSource }
    let rows: [(String, String)] =
      [
        ("OpenBLAS threads", blasThreads.map { "\($0.count) (\($0.source.rawValue))" } ?? "-"),
        ("OpenBLAS kernels", blasCoreName + (blasCoreSource.map { " (\($0))" } ?? "")),
        ("workers", "\(workers)"),
        ("ms/step (median)", fmt(seconds * 1e3, 1)),
        ("tokens/s, all workers", fmt(tokensPerStep / seconds, 0)),
        ("tokens/s, one worker (same global batch)", fmt(tokensPerStep / single, 0)),
        ("scaling efficiency", fmt(100 * single / seconds / Double(workers), 1) + "%"),
        (
          "gradient all-reduce MB/step",
          fmt(Double(perStep.bytes) / Double(steps + warmup) / 1e6, 3)
        ),
        ("waiting on gradients ms/step", fmt(perStep.seconds / Double(steps + warmup) * 1e3, 2)),
        ("bucketed / bare all-reduce ms", fmt(bucketed * 1e3, 2) + " / " + fmt(bare * 1e3, 2)),
        ("all-reduce rate vs bare MPI_Allreduce", fmt(100 * bare / bucketed, 1) + "%"),
        ("GEMM floor ms/step (rank 0)", fmt(floor.floorMS, 1)),
        ("step / floor", fmt(seconds * 1e3 / floor.floorMS, 2) + "x"),
      ] + floor.coldFloorRows(stepMS: seconds * 1e3, whose: " (rank 0)")
      + floor.allProductsRows(stepMS: seconds * 1e3)
    print(TextTable.keyValue(rows))
    print(
      "\nwhere a step of rank 0 goes (mean of \(counted(steps, "step")); a phase is charged its own time only)"
    )
    print(floor.phaseTable)
    let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
  }

  /// Seconds of the bucketed gradient all-reduce and of one bare all-reduce of the same bytes:
  /// `pairs` of the two, each after a barrier (so rank skew is not counted), alternating which
  /// goes first (so neither always meets a warmer cache); median per rank, mean over ranks.
  public func timeAgainstBareAllReduce(_ trainer: Trainer, pairs: Int = 9) -> (Double, Double) {
    let count = trainer.model.parameterCount
    let buffer = allocateFloats(count)  // huge pages, like the gradients
    defer { deallocateFloats(buffer) }
    buffer.initialize(repeating: 0, count: count)
    communicator.allReduceSum(buffer, count: count, category: .gradients)  // warm-up
    func timeBare() -> Double {
      communicator.barrier(category: .control)
      let start = monotonicSeconds()
      communicator.allReduceSum(buffer, count: count, category: .gradients)
      return monotonicSeconds() - start
    }
    func timeBucketed() -> Double {
      communicator.barrier(category: .control)
      return trainer.timeGradientReduction()
    }
    var (bucketed, bare) = ([Double](), [Double]())
    for pair in 0..<pairs {
      if pair % 2 == 0 {
        bucketed.append(timeBucketed())
        bare.append(timeBare())
      } else {
        bare.append(timeBare())
        bucketed.append(timeBucketed())
      }
    }
    let medians = communicator.allGather(
      [bucketed.sorted()[pairs / 2], bare.sorted()[pairs / 2]], category: .control)
    let ranks = Double(medians.count)
    return (
      medians.map { $0[0] }.reduce(0, +) / ranks, medians.map { $0[1] }.reduce(0, +) / ranks
    )
  }

  /// Median seconds of `steps` training steps after `warmup` untimed ones, with `profiler`
  /// installed during the timed ones; also their total wall and thread CPU seconds.
  func profiledSteps(_ trainer: Trainer, _ profiler: StepProfiler) -> (Double, Double, Double) {
    var (times, cpu) = ([Double](), 0.0)
    for i in 0..<(warmup + steps) {
      if i == warmup { stepProfiler = profiler }
      let (start, cpuStart) = (monotonicSeconds(), threadCPUSeconds())
      _ = trainer.trainStep()
      if i >= warmup {
        times.append(monotonicSeconds() - start)
        cpu += threadCPUSeconds() - cpuStart
      }
    }
    stepProfiler = nil
    return (times.sorted()[times.count / 2], times.reduce(0, +), cpu)
  }

  /// Median seconds of `steps` training steps after `warmup` untimed ones.
  public func medianStep(_ trainer: Trainer) -> Double {
    var times: [Double] = []
    for i in 0..<(warmup + steps) {
      let start = monotonicSeconds()
      _ = trainer.trainStep()
      if i >= warmup { times.append(monotonicSeconds() - start) }
    }
    return times.sorted()[times.count / 2]
  }

  public init(
    run: RunConfig,
    communicator: any Communicator,
    steps: Int,
    warmup: Int,
    blasThreads: BLASThreads? = nil,
    blasCoreSource: String? = nil
  ) {
    self.blasThreads = blasThreads
    self.blasCoreSource = blasCoreSource
    self.run = run
    self.communicator = communicator
    self.steps = steps
    self.warmup = warmup
  }
}
