#if canImport(Glibc)
  import Glibc
#endif

/// An object whose `run()` is the whole life of a POSIX thread.
protocol ThreadBody: AnyObject {
  func run()
}

/// Holds the body across `pthread_create`, which takes a C function and one raw pointer.
private final class ThreadBox {
  let body: any ThreadBody
  init(_ body: any ThreadBody) { self.body = body }
}

/// Starts a joinable thread that calls `body.run()`, keeping `body` alive until it returns;
/// nil when the thread could not be created.
func startThread(_ body: any ThreadBody) -> pthread_t? {
  var created = pthread_t()
  let context = Unmanaged.passRetained(ThreadBox(body)).toOpaque()
  let code = pthread_create(
    &created, nil,
    { context in
      guard let context else { return nil }
      Unmanaged<ThreadBox>.fromOpaque(context).takeRetainedValue().body.run()
      return nil
    }, context)
  guard code == 0 else {
    Unmanaged<ThreadBox>.fromOpaque(context).release()
    return nil
  }
  return created
}
