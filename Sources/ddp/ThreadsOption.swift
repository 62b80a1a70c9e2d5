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
    if let threads, threads <= 0 {
      throw ValidationError("--threads must be positive, got \(threads)")
    }
  }
}
