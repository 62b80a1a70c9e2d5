import Config
import Kernels

/// One norm application: its output in the activation allocation and the norm itself, bound
/// to its tensors and its saved statistics (those its `NormLayer` type declares).
struct NormActivations {
  var out: UnsafeMutablePointer<Float>
  var layer: any NormLayer
}

/// Saved tensors of one attention sublayer. N = B·T rows. What the kind saves between qkv and
/// out lives in its `AttentionMixer`, bound to its own saved tensors.
struct AttentionActivations {
  var qkv: UnsafeMutablePointer<Float>  // (N, 3C)
  var mixer: any AttentionMixer
  var out: UnsafeMutablePointer<Float>  // (N, C) heads concatenated, input of proj
}

/// Saved tensors of one MLP sublayer.
struct MLPActivations {
  var gelu: UnsafeMutablePointer<Float>  // (N, 4C)
  var geluDerivative: UnsafeMutablePointer<Float>  // (N, 4C) gelu′(fc), for the backward
}

/// Saved tensors of one sublayer (two per block: attention then MLP) around its norm.
struct SublayerActivations {
  /// The residual stream entering the sublayer (x, or xa for ResiDual).  (N, C)
  var input: UnsafeMutablePointer<Float>
  /// The norm's input when it is not `input`: `input + f(·)` for post and ResiDual. (N, C)
  var normInput: UnsafeMutablePointer<Float>
  var norm: NormActivations
}

/// The backward scratch, (N, C) unless noted, shared by all layers: built once from the
/// scratch allocation.
struct BackwardScratch {
  /// A sublayer's output y (ResiDual) / the head's gradient (pre) / ∂y (ResiDual backward).
  var y: UnsafeMutablePointer<Float>
  /// ∂loss/∂ the current stream.
  var stream: UnsafeMutablePointer<Float>
  /// ResiDual: ∂loss/∂xd.
  var delta: UnsafeMutablePointer<Float>
  /// ∂loss/∂ a norm's input or output.
  var normGrad: UnsafeMutablePointer<Float>
  /// ∂loss/∂ attention output before proj.
  var sublayerGrad: UnsafeMutablePointer<Float>
  /// (N, 4C): ∂qkv (attention), ∂gelu then ∂fc in place (MLP).
  var wideA: UnsafeMutablePointer<Float>

  init(_ scratch: FlatTensors) {
    y = scratch.view("y")
    stream = scratch.view("stream")
    delta = scratch.view("delta")
    normGrad = scratch.view("norm_grad")
    sublayerGrad = scratch.view("sublayer_grad")
    wideA = scratch.view("wide_a")
  }
}

/// Sizes of everything a forward and backward pass touches, for one micro-batch shape; the
/// model allocates them once (`activations`, `scratch`) and reuses them every step.
struct ActivationPlan {
  var layout = TensorLayout()
  var scratchLayout = TensorLayout()

  init(_ m: ModelConfig, batch b: Int) {
    let (t, c, nh, l) = (m.context, m.dModel, m.nHeads, m.nLayers)
    let n = b * t
    let order = m.placement.order
    let saved = m.norm.layer.savedShapes(rows: n, channels: c)
    func addNormStatistics(_ prefix: String) {
      for t in saved { layout.add(prefix + ".norm." + t.name, t.shape) }
    }
    for s in 0..<(2 * l) {
      layout.add("s\(s).input", [n, c])
      if order.savesNormInput { layout.add("s\(s).norm_input", [n, c]) }
      if order.savesNormOutput { layout.add("s\(s).norm.out", [n, c]) }
      addNormStatistics("s\(s)")
      if s % 2 == 0 {
        layout.add("s\(s).qkv", [n, 3 * c])
        for x in m.attention.mixer.savedShapes(batch: b, time: t, channels: c, heads: nh) {
          layout.add("s\(s)." + x.name, x.shape)
        }
        layout.add("s\(s).attn_out", [n, c])
      } else {
        layout.add("s\(s).gelu", [n, 4 * c])
        layout.add("s\(s).gelu_derivative", [n, 4 * c])
      }
    }
    layout.add("final.input", [n, c])
    layout.add("final.norm.out", [n, c])
    addNormStatistics("final")
    if order.hasDeltaStream {
      layout.add("final.delta", [n, c])  // xd, the ResiDual stream of unnormalized sums
      layout.add("final.hidden", [n, c])  // xa + norm_f(xd)
    }
    layout.add("probs", [n, m.vocabSize])
    if m.head == .classifier {
      ClassifierHead.addActivations(
        &layout, batch: b, channels: c, hidden: m.headHidden, classes: m.classCount)
    }

    // Backward scratch, shared by all layers.
    let attention = m.attention.mixer.scratchCount(
      batch: b, time: t, channels: c, heads: nh, chunk: m.chunk)
    scratchLayout.add("y", [n, c])
    scratchLayout.add("stream", [n, c])
    scratchLayout.add("delta", [n, c])
    scratchLayout.add("norm_grad", [n, c])
    scratchLayout.add("sublayer_grad", [n, c])
    scratchLayout.add("wide_a", [n, 4 * c])
    scratchLayout.add("attention", [attention])
    scratchLayout.add("norm_stats", [m.norm.layer.scratchCount(channels: c)])
  }
}
