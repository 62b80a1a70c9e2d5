import Support

#if canImport(Glibc)
  import Glibc
#endif

extension MPICommunicator {
  /// Ends the job with one line, exit code 1, unless every rank was started with the same
  /// arguments (compared by an FNV-1a hash, in one all-gather under the watchdog).
  ///
  /// Ranks of an mpirun job that run different commands (`mpirun -np 1 ddp train ... : -np 1
  /// ddp bench ...`) would make different collectives, which MPI reports as a truncated
  /// message at best and a hang at worst; comparing first names the problem instead.
  func checkSameCommand(_ arguments: ArraySlice<String>) {
    guard size > 1 else { return }
    let text = arguments.joined(separator: "\u{0}")
    let hashes = allGather([FNV1a64.hash(text.utf8)], category: .control)
    guard let odd = hashes.firstIndex(where: { $0 != hashes[0] }) else { return }
    if rank == 0 {
      writeErrorLine(
        "ddp: rank \(odd) was started with other arguments than rank 0 (ddp "
          + "\(arguments.joined(separator: " "))); every rank of an mpirun job must run the "
          + "same ddp command")
    }
    finalize()
    exit(1)
  }
}
