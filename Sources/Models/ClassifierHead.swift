import Kernels

// Shapes: B = sequences, T = context, C = d_model, D = model.head_hidden, K = classes.

/// Offsets of the classifier head's parameters, laid out after every other tensor (so a seed
/// draws the same body as a language model's) under the export names `classifier.*`.
public struct ClassifierOffsets: Sendable, Equatable {
  /// `classifier.fc1.weight` (D, 3C), `.bias` (D); `classifier.fc2.weight` (K, D), `.bias` (K).
  public let fc1Weight: Int, fc1Bias: Int, fc2Weight: Int, fc2Bias: Int
  public let hidden: Int, classes: Int

  init(_ parameters: inout TensorLayout, channels c: Int, hidden d: Int, classes k: Int) {
    fc1Weight = parameters.add("classifier.fc1.weight", [d, 3 * c])
    fc1Bias = parameters.add("classifier.fc1.bias", [d])
    fc2Weight = parameters.add("classifier.fc2.weight", [k, d])
    fc2Bias = parameters.add("classifier.fc2.bias", [k])
    (hidden, classes) = (d, k)
  }
}

/// The ULMFiT classifier head over the model's last hidden state h (B, T, C):
///
/// ```
/// x      = [h_last, max_t h_t, mean_t h_t]     over t < length     (B, 3C)
/// a      = relu(x W1ᵀ + b1)                                          (B, D)
/// logits = a W2ᵀ + b2                                                (B, K)
/// loss   = −(1/B) Σ_b log softmax(logits)[b, label_b]
/// ```
/// Howard and Ruder add batch normalization and dropout to both layers; this head has neither
/// (a worker-count-independent head needs no batch statistics, and runs here are short), so it
/// is the paper's head without its regularizers.
///
/// ### References
/// J. Howard and S. Ruder, "Universal Language Model Fine-tuning for Text Classification",
/// ACL 2018, section 3.3.
final class ClassifierHead {
  let offsets: ClassifierOffsets
  let (batch, time, channels): (Int, Int, Int)
  let pooled: UnsafeMutablePointer<Float>  // (B, 3C)
  let hidden: UnsafeMutablePointer<Float>  // (B, D) after the ReLU
  let probs: UnsafeMutablePointer<Float>  // (B, K) logits, then probabilities, then ∂logits
  let dpooled: UnsafeMutablePointer<Float>  // (B, 3C)
  let dhidden: UnsafeMutablePointer<Float>  // (B, D)
  let argmax: UnsafeMutablePointer<Int32>  // (B, C)
  let lengths: UnsafeMutablePointer<Int32>  // (B)
  let labels: UnsafeMutablePointer<Int32>  // (B)

  /// The head's saved tensors, in the activation allocation.
  static func addActivations(
    _ layout: inout TensorLayout, batch b: Int, channels c: Int, hidden d: Int, classes k: Int
  ) {
    layout.add("classifier.pooled", [b, 3 * c])
    layout.add("classifier.hidden", [b, d])
    layout.add("classifier.probs", [b, k])
    layout.add("classifier.dpooled", [b, 3 * c])
    layout.add("classifier.dhidden", [b, d])
  }

  init(
    _ offsets: ClassifierOffsets, activations a: FlatTensors, batch: Int, time: Int, channels: Int
  ) {
    self.offsets = offsets
    (self.batch, self.time, self.channels) = (batch, time, channels)
    pooled = a.view("classifier.pooled")
    hidden = a.view("classifier.hidden")
    probs = a.view("classifier.probs")
    dpooled = a.view("classifier.dpooled")
    dhidden = a.view("classifier.dhidden")
    argmax = .allocate(capacity: batch * channels)
    argmax.initialize(repeating: 0, count: batch * channels)
    lengths = .allocate(capacity: batch)
    lengths.initialize(repeating: Int32(time), count: batch)
    labels = .allocate(capacity: batch)
    labels.initialize(repeating: 0, count: batch)
  }

  deinit {
    argmax.deallocate()
    lengths.deallocate()
    labels.deallocate()
  }

  /// The mean cross-entropy of the current labels, from h (B, T, C); leaves the class
  /// probabilities in ``probs``.
  func forward(h: UnsafePointer<Float>, parameters p: FlatTensors) -> Float {
    let (b, c, d, k) = (batch, channels, offsets.hidden, offsets.classes)
    concatPoolForward(
      out: pooled, argmax: argmax, h: h, lengths: lengths, batch: b, time: time, channels: c)
    linearForward(
      out: hidden, inp: pooled, weight: p[offsets.fc1Weight], bias: p[offsets.fc1Bias],
      rows: b, inChannels: 3 * c, outChannels: d)
    reluForward(hidden, count: b * d)
    linearForward(
      out: probs, inp: hidden, weight: p[offsets.fc2Weight], bias: p[offsets.fc2Bias],
      rows: b, inChannels: d, outChannels: k)
    return classCrossEntropyForward(logits: probs, labels: labels, rows: b, classes: k)
  }

  /// Backward of ``forward``: adds `dloss · ∂loss/∂θ` into the head's gradients and
  /// `dloss · ∂loss/∂h` into `dh` (B, T, C). Overwrites ``probs``.
  func backward(
    dh: UnsafeMutablePointer<Float>, parameters p: FlatTensors, gradients g: FlatTensors,
    dloss: Float
  ) {
    let (b, c, d, k) = (batch, channels, offsets.hidden, offsets.classes)
    classCrossEntropyBackward(
      dlogits: probs, probs: probs, labels: labels, dloss: dloss, rows: b, classes: k)
    linearBackward(
      dinp: dhidden, dweight: g[offsets.fc2Weight], dbias: g[offsets.fc2Bias], dout: probs,
      inp: hidden, weight: p[offsets.fc2Weight], rows: b, inChannels: d, outChannels: k,
      overwriteInput: true)
    reluBackward(dhidden, out: hidden, count: b * d)
    linearBackward(
      dinp: dpooled, dweight: g[offsets.fc1Weight], dbias: g[offsets.fc1Bias], dout: dhidden,
      inp: pooled, weight: p[offsets.fc1Weight], rows: b, inChannels: 3 * c, outChannels: d,
      overwriteInput: true)
    concatPoolBackward(
      dh: dh, dout: dpooled, argmax: argmax, lengths: lengths, batch: b, time: time,
      channels: c)
  }
}
