import Support

/// Fills parameters and buffers as DESIGN.md section 3 specifies: weights normal(0, 0.02), the
/// two `proj` weights of each block normal(0, 0.02/√(2L)) (GPT-2's scaling of residual
/// projections), biases 0, norm weights 1; BatchNorm running mean 0 and running variance 1.
///
/// Draws come from one generator seeded by `seed`, in layout order, so a seed fixes the model.
///
/// ### References
/// A. Radford et al., "Language Models are Unsupervised Multitask Learners" (GPT-2), 2019.
public func initializeParameters(
  _ params: FlatTensors, buffers: FlatTensors, layers: Int, seed: UInt64
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
      let std = entry.name.hasSuffix("proj.weight") ? residualStd : 0.02
      for i in 0..<entry.count { p[i] = Float(std * rng.nextNormal()) }
    }
  }
  for entry in buffers.layout.entries {
    let value: Float = entry.name.hasSuffix("running_var") ? 1 : 0
    buffers[entry.offset].update(repeating: value, count: entry.count)
  }
}
