#if canImport(Glibc)
  import Glibc
#endif

/// Ends the command with `code`, its message (if any) already printed: thrown by library code
/// that has reported a user error, caught once by the command line (`CommandLineErrors`).
///
/// Codes: 1 for a run that failed after it started (a non-finite loss, diverged workers),
/// 2 for bad input (config, command line, data, checkpoint).
public struct ExitStatus: Error, Equatable {
  public let code: Int32
  public init(_ code: Int32) { self.code = code }
}

/// True outside a launcher and on its rank 0 under one (mpirun, srun: `LaunchEnvironment`),
/// read from the environment, so it holds before MPI is initialized (and for commands that
/// never initialize it).
public var isLaunchedRankZero: Bool { LaunchEnvironment.current.rank == 0 }

/// Runs `body`; a thrown error (bad config, impossible model, unreadable data) becomes one
/// line on standard error, `ddp: <message>`, and exit code 2: never a stack trace. Under
/// `mpirun` every rank fails alike and only rank 0 prints.
public func reportingInputErrors<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let status as ExitStatus {
    throw status
  } catch {
    if isLaunchedRankZero { writeErrorLine("ddp: \(error)") }
    throw ExitStatus(2)
  }
}
