extension LearningRateSchedule {
  /// The slanted triangular learning rate of step `t` (from 0) of `T = steps`: a short linear
  /// rise from `peak / ratio` to `peak`, then a long linear decay back to `peak / ratio`.
  ///
  /// ```
  /// cut  = ⌊T · cut_frac⌋                       (at least 1)
  /// p    = t / cut                                          if t < cut
  ///      = 1 − (t − cut) / (cut · (1 / cut_frac − 1))       otherwise, at least 0
  /// lr_t = peak · (1 + p · (ratio − 1)) / ratio
  /// ```
  /// `p` is kept at 0 or above: with `cut` rounded down, the decay can reach 0 a step before
  /// `T` and would go below `peak / ratio` (the paper's T is a multiple of 1 / cut_frac).
  ///
  /// ### References
  /// J. Howard, S. Ruder, "Universal Language Model Fine-tuning for Text Classification",
  /// ACL 2018, section 3.2, equation 3.
  public func slantedTriangular(at t: Int) -> Double {
    let cut = max(1, Int((Double(steps) * cutFraction).rounded(.down)))
    let p =
      t < cut
      ? Double(t) / Double(cut)
      : max(0, 1 - Double(t - cut) / (Double(cut) * (1 / cutFraction - 1)))
    return peak * (1 + p * (ratio - 1)) / ratio
  }
}
