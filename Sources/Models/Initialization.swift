import Config
import Support

/// Fills parameters and buffers as DESIGN.md section 3 specifies, for `model.init = gpt2`:
/// weights normal(0, 0.02), the two `proj` weights of each block normal(0, 0.02/√(2L)) (GPT-2's
/// scaling of residual projections), biases 0, norm weights 1; BatchNorm running mean 0 and
/// running variance 1.
///
/// `model.init = xavier` draws every block matrix W (out × in; qkv as three C × C matrices) from normal(0, √(2/(in + out)))
/// instead, with no depth scaling, as in Xiong et al.'s analysis. The embeddings stay
/// normal(0, 0.02): the token embeddings are tied to the output head (small first logits), and
/// position embeddings of unit spread (the ‖x_0‖² ≈ d input Xiong et al. assume) left every
/// model of `ddp experiment warmup` at the unigram loss after 300 steps. So the first block's
/// input is about 50 times smaller than a sublayer's output, unlike in their analysis.
///
/// Draws come from one generator seeded by `seed`, in layout order, so a seed fixes the model.
///
/// ### References
/// A. Radford et al., "Language Models are Unsupervised Multitask Learners" (GPT-2), 2019.
/// X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward neural
/// networks", AISTATS 2010.
/// R. Xiong et al., "On Layer Normalization in the Transformer Architecture", ICML 2020.
public func initializeParameters(
  _ params: FlatTensors, buffers: FlatTensors, layers: Int, seed: UInt64,
  kind: InitKind = .gpt2
) {
  var rng = RandomNumbers(seed: seed)
  let residualStd = 0.02 / Double(2 * layers).squareRoot()
  for entry in params.layout.entries {
    let p = params[entry.offset]
    if entry.name.hasSuffix(".bias") {
      p.update(repeating: 0, count: entry.count)
    } else if entry.isVector {
      p.update(repeating: 1, count: entry.count)  // norm weights
    } else {
      let std = standardDeviation(of: entry, kind: kind, residualStd: residualStd)
      for i in 0..<entry.count { p[i] = Float(std * rng.nextNormal()) }
    }
  }
  for entry in buffers.layout.entries {
    let value: Float = entry.name.hasSuffix("running_var") ? 1 : 0
    buffers[entry.offset].update(repeating: value, count: entry.count)
  }
}

/// The normal's standard deviation for the matrix `entry` (shape [out, in]).
private func standardDeviation(
  of entry: TensorLayout.Entry, kind: InitKind, residualStd: Double
) -> Double {
  let isBlockMatrix = entry.name.hasPrefix("h.") && entry.shape.count == 2
  switch kind {
  case .gpt2:
    return entry.name.hasSuffix("proj.weight") ? residualStd : 0.02
  case .xavier where isBlockMatrix:
    // The fused qkv matrix is three C × C projections, each drawn as its own matrix.
    let out = entry.name.hasSuffix("qkv.weight") ? entry.shape[0] / 3 : entry.shape[0]
    return (2 / Double(out + entry.shape[1])).squareRoot()
  case .xavier:
    return 0.02
  }
}
