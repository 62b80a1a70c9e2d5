extension Communicator {
  /// Runs every collective once on known values and describes each wrong result on this rank.
  ///
  /// Rank r contributes r + 1 (sums must be N(N + 1)/2, exact), the last rank broadcasts a
  /// byte pattern, every rank gathers (rank, 7·rank + 1) from all, and two non-blocking
  /// all-reduces run at once, one polled with `testCompletion` until done. Sizes are odd so
  /// that no collective is only ever run on round counts. All ranks must call it together;
  /// everything is accounted under `.control`.
  ///
  /// - Returns: one line per wrong result, empty when all collectives gave what they should.
  public func checkCollectives() -> [String] {
    var failures: [String] = []
    let expected = Double(size * (size + 1) / 2)
    let contribution = Float(rank + 1)

    var floats = [Float](repeating: contribution, count: 1001)
    allReduceSum(&floats, category: .control)
    if let bad = floats.firstIndex(where: { Double($0) != expected }) {
      failures.append("allReduceSum(Float): element \(bad) is \(floats[bad]), not \(expected)")
    }

    var doubles = [Double](repeating: Double(rank + 1), count: 100_003)
    allReduceSum(&doubles, category: .control)
    if let bad = doubles.firstIndex(where: { $0 != expected }) {
      failures.append("allReduceSum(Double): element \(bad) is \(doubles[bad]), not \(expected)")
    }

    let root = size - 1
    let pattern = (0..<4097).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    var bytes = rank == root ? pattern : [UInt8](repeating: 0, count: pattern.count)
    broadcast(&bytes, root: root, category: .control)
    if bytes != pattern { failures.append("broadcast from rank \(root): wrong bytes received") }

    let gathered = allGather([UInt64(rank), UInt64(7 * rank + 1)], category: .control)
    let wanted = (0..<size).map { [UInt64($0), UInt64(7 * $0 + 1)] }
    if gathered != wanted { failures.append("allGather: got \(gathered), not \(wanted)") }

    barrier(category: .control)

    var first = [Float](repeating: contribution, count: 65_537)
    var second = [Float](repeating: 2 * contribution, count: 333)
    first.withUnsafeMutableBufferPointer { firstBuffer in
      second.withUnsafeMutableBufferPointer { secondBuffer in
        guard let firstBase = firstBuffer.baseAddress, let secondBase = secondBuffer.baseAddress
        else { return }
        let a = startAllReduceSum(firstBase, count: firstBuffer.count, category: .control)
        let b = startAllReduceSum(secondBase, count: secondBuffer.count, category: .control)
        while !testCompletion(b) {}
        wait(a)
        wait(b)
      }
    }
    if let bad = first.firstIndex(where: { Double($0) != expected }) {
      failures.append("startAllReduceSum: element \(bad) is \(first[bad]), not \(expected)")
    }
    if let bad = second.firstIndex(where: { Double($0) != 2 * expected }) {
      failures.append(
        "startAllReduceSum (polled): element \(bad) is \(second[bad]), not \(2 * expected)")
    }
    return failures
  }
}
