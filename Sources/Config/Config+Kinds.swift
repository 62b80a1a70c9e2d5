/// How a block normalizes a (rows, C) activation (DESIGN.md section 3).
public enum NormKind: String, CaseIterable, Sendable {
  /// Per token over its C features, with weight and bias; no communication.
  case layernorm
  /// Per token, `x * rsqrt(mean(x^2) + 1e-6) * weight`; no communication.
  case rmsnorm
  /// Per feature over the worker's own micro-batch; results depend on the worker count.
  case batchnorm
  /// Per feature over the global batch: statistics all-reduced in every forward and backward.
  case syncbatchnorm
  /// The identity, for ablations.
  case none
}

/// Where the norms sit relative to each sublayer and the residual stream.
public enum Placement: String, CaseIterable, Sendable {
  /// `x = N(x + f(x))`, as in the original figure; no final norm.
  case post
  /// `x = x + f(N(x))`, as in the published code; final norm `norm_f`.
  case pre
  /// ResiDual (Xie et al. 2023): a post-norm stream and an un-normed stream, summed at the end.
  case residual
}

/// How a block's attention sublayer mixes positions.
public enum AttentionKind: String, CaseIterable, Sendable {
  /// Causal scaled dot-product attention.
  case softmax
  /// Linear attention with `phi(x) = elu(x) + 1` (Katharopoulos et al. 2020).
  case linear
  /// Fast-weight programmer with the delta rule (Schlag et al. 2021).
  case fastweight
  /// Fast-weight programmer with the sum update `W += v φ(k)ᵀ`: `fastweight`'s feature map
  /// without β or the delta (Schlag et al. 2021, section 4.1).
  case fastweightSum = "fastweight_sum"
}

/// How a model's weights are drawn before training (`model.init`).
public enum InitKind: String, CaseIterable, Sendable {
  /// GPT-2: matrices normal(0, 0.02), residual projections normal(0, 0.02/√(2L)).
  case gpt2
  /// Xavier (Glorot) normal for every block matrix, std √(2/(fan_in + fan_out)), no depth
  /// scaling: the setting of Xiong et al. 2020's analysis.
  case xavier
}

/// The learning-rate shape after linear warmup.
public enum ScheduleKind: String, CaseIterable, Sendable {
  /// Cosine decay from `lr` at the end of warmup to `min_lr` at the last step.
  case cosine
  /// `lr` from the end of warmup to the last step.
  case constant
  /// Slanted triangular (Howard & Ruder 2018, eq. 3): a short linear rise to `lr` over
  /// `stlr_cut_frac` of the steps, then a long linear decay to `lr / stlr_ratio`; no warmup.
  case stlr
}

/// Which layer groups train at the start and when the others join (`train.unfreeze`).
public enum UnfreezeKind: String, CaseIterable, Sendable {
  /// Every group trains from the first step.
  case none
  /// The top group alone first; one more group downwards every `train.unfreeze_every` steps.
  case gradual
}

/// A string-valued choice a config key accepts, with the noun its error messages use.
protocol ConfigChoice: RawRepresentable, CaseIterable, Sendable where RawValue == String {
  /// Names one value in an error, as in `"batchnorn" is not a norm`.
  static var noun: String { get }
}

extension NormKind: ConfigChoice { static var noun: String { "a norm" } }
extension Placement: ConfigChoice { static var noun: String { "a placement" } }
extension AttentionKind: ConfigChoice { static var noun: String { "an attention kind" } }
extension ScheduleKind: ConfigChoice { static var noun: String { "a schedule" } }
extension InitKind: ConfigChoice { static var noun: String { "an initialization" } }
extension UnfreezeKind: ConfigChoice { static var noun: String { "an unfreezing" } }

extension ConfigChoice {
  /// Every accepted raw value, in declaration order.
  static var accepted: [String] { allCases.map(\.rawValue) }
}
