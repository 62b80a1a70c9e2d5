import ArgumentParser

/// `--threads T`: OpenBLAS threads per worker, shared by `train` and `bench`. Left out, the
/// rule of `BLASThreads.forThisProcess` decides (OPENBLAS_NUM_THREADS, else cores / workers).
struct ThreadsOption: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help: """
      OpenBLAS threads per worker (default: OPENBLAS_NUM_THREADS, else cores / workers on \
      this host).
      """)
  var threads: Int?

  func validate() throws {
    if let threads, !(1...1024).contains(threads) {
      throw ValidationError("--threads must be in 1...1024, got \(threads)")
    }
  }
}
