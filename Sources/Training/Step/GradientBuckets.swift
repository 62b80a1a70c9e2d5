import Config
import Distributed
import Kernels
import Models
import Support

/// The flat gradient buffer cut into buckets of about `distributed.bucket_mb`, each summed over
/// the workers by its own all-reduce, started as soon as the backward has finished every
/// gradient in it (DESIGN.md section 4; as PyTorch DDP's reducer).
///
/// Buckets are filled from the end of the parameter layout (norm_f, the last block, …), the
/// order in which the backward finishes them; `wte` and `wpe` finish last (the embedding's
/// backward runs after block 0). With `overlap`, a bucket's all-reduce starts in the
/// backward's `onBlockDone` callback and runs on the communicator's reduction thread while
/// earlier blocks compute; without it, every bucket is reduced after the backward, with
/// blocking all-reduces.
///
/// Waiting on gradients (the `.gradients` seconds of the accounting) is the main thread's wall
/// time in `finish()`, from the end of its backward until every bucket holds its sums, plus
/// the time inside MPI calls made during the backward (MPI_Test, without a reduction thread).
/// Handing a bucket to the reduction thread is not waiting; the CPU the thread takes from the
/// computation lengthens the step instead, and shows in step time and tokens/s.
public final class GradientBuckets {
  struct Bucket {
    /// Float range in the gradient buffer.
    var range: Range<Int>
    /// The backward has finished this bucket once block `readyAfter` is done (−1: at the end).
    var readyAfter: Int
  }

  let buckets: [Bucket]
  let communicator: any Communicator
  let gradients: FlatTensors
  private var pending: [PendingReduction?]
  /// Gradients before this float offset belong to frozen layer groups (gradual unfreezing):
  /// they are not all-reduced; a bucket that straddles it sends only its part above.
  var firstTrainable = 0

  init(model: Transformer, communicator: any Communicator, bucketMB: Double) {
    self.communicator = communicator
    gradients = model.gradients
    buckets = Self.plan(
      parameters: model.layout.parameters, layers: model.config.nLayers, bucketMB: bucketMB)
    pending = Array(repeating: nil, count: buckets.count)
  }

  /// The buckets of a parameter layout: tensors taken from the end, a new bucket whenever the
  /// next tensor would take the current one past `bucketMB` MiB (a tensor larger than that is
  /// a bucket of its own).
  static func plan(parameters: TensorLayout, layers: Int, bucketMB: Double) -> [Bucket] {
    let capacity = max(1, Int(bucketMB * 1_048_576 / 4))
    var buckets: [Bucket] = []
    var current: Bucket?
    for entry in parameters.entries.reversed() where entry.count > 0 {
      let block = Self.block(of: entry.name, layers: layers)
      if var bucket = current, bucket.range.count + entry.count <= capacity {
        bucket.range = entry.offset..<bucket.range.upperBound
        bucket.readyAfter = min(bucket.readyAfter, block)
        current = bucket
      } else {
        if let bucket = current { buckets.append(bucket) }
        current = Bucket(range: entry.offset..<(entry.offset + entry.count), readyAfter: block)
      }
    }
    if let bucket = current { buckets.append(bucket) }
    return buckets
  }

  /// Bytes each bucket of `config`'s gradients all-reduces, in the order they are sent; no
  /// model is allocated (for cost predictions of shapes larger than this machine holds).
  public static func bucketBytes(model config: ModelConfig, bucketMB: Double) -> [Int] {
    plan(parameters: ModelLayout(config).parameters, layers: config.nLayers, bucketMB: bucketMB)
      .map { $0.range.count * MemoryLayout<Float>.stride }
  }

  /// The block whose backward finishes a tensor: `h.i.*` → i, `norm_f` and `classifier.*` → the
  /// last block,
  /// the embeddings → −1 (after every block).
  static func block(of name: String, layers: Int) -> Int {
    if name.hasPrefix("h.") {
      return Int(name.dropFirst(2).prefix { $0.isNumber }) ?? -1
    }
    return name.hasPrefix("norm_f") || name.hasPrefix("classifier.") ? layers - 1 : -1
  }

  /// The part of `bucket` above ``firstTrainable`` (empty when it is all frozen).
  private func trainable(_ bucket: Bucket) -> Range<Int> {
    max(
      bucket.range.lowerBound, min(firstTrainable, bucket.range.upperBound))..<bucket.range
      .upperBound
  }

  /// Starts the all-reduce of every bucket the backward has finished once block `done` is done,
  /// and gives MPI a chance to progress the ones already started.
  func blockDone(_ done: Int) {
    for (i, bucket) in buckets.enumerated() where pending[i] == nil && bucket.readyAfter >= done {
      let range = trainable(bucket)
      guard !range.isEmpty else { continue }
      pending[i] = communicator.startAllReduceSum(
        gradients.pointer + range.lowerBound, count: range.count, category: .gradients)
    }
    for reduction in pending { if let reduction { _ = communicator.testCompletion(reduction) } }
  }

  /// Waits for the buckets already started and reduces the rest: after them on the reduction
  /// thread when buckets run there, else with blocking all-reduces (OpenMPI's blocking
  /// MPI_Allreduce is its tuned one, up to 3x faster on large buffers than MPI_Iallreduce).
  /// Afterwards the gradients are summed. Its whole wall time is counted as waiting.
  func finish() {
    let start = monotonicSeconds()
    let counted = communicator.accounting.snapshot()[.gradients].seconds
    defer {
      // Also the time the calls did not count: handing the rest over, and being descheduled
      // in favour of the reduction thread on the way.
      let uncounted =
        monotonicSeconds() - start
        - (communicator.accounting.snapshot()[.gradients].seconds - counted)
      if uncounted > 0 { communicator.accounting.addWaiting(.gradients, seconds: uncounted) }
    }
    let queueRest = pending.contains { $0?.runsInBackground == true }
    for (i, bucket) in buckets.enumerated() where pending[i] == nil {
      let range = trainable(bucket)
      guard !range.isEmpty else { continue }
      let buffer = gradients.pointer + range.lowerBound
      if queueRest {
        pending[i] = communicator.startAllReduceSum(
          buffer, count: range.count, category: .gradients)
      } else {
        communicator.allReduceSum(buffer, count: range.count, category: .gradients)
      }
    }
    for i in pending.indices {
      if let reduction = pending[i] { communicator.wait(reduction) }
      pending[i] = nil
    }
  }
}
