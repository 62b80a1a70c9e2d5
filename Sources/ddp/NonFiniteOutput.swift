import Support

/// The refusal of a model whose forward pass overflows 32-bit floats: a checkpoint with finite
/// but huge weights (3.4e38), which something else wrote; training never saves one whose loss
/// is not finite. `eval` and `probe` failed on a NaN in JSON with a Foundation message,
/// `classify` printed `-nan` and `sample` NUL bytes. Bad input: one line, exit 2.
struct NonFiniteOutput: Error, CustomStringConvertible {
  /// The checkpoint file read.
  let path: String
  /// What came out not finite: "loss", "class probabilities", "next-byte probabilities".
  let what: String

  var description: String {
    "\(MessageText.quoted(path)): the model's \(what) are not finite numbers: its weights "
      + "overflow 32-bit floats in the forward pass (training never saves such a checkpoint)"
  }

  /// Throws unless every value is finite.
  static func require(_ values: some Sequence<Double>, _ what: String, path: String) throws {
    if values.contains(where: { !$0.isFinite }) {
      try reportingInputErrors { throw NonFiniteOutput(path: path, what: what) }
    }
  }
}
