import Dispatch
import Foundation

/// Runs `body(i)` for i in 0..<count on up to `workers` threads and returns the results in order.
/// Used for independent work (circuit seeds, fits); each body must not share mutable state.
public func parallelMap<T: Sendable>(_ count: Int, workers: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let results = ParallelResults<T>(count)
    let threads = max(1, min(workers, count))
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
        while let i = results.claim() { results.store(i, body(i)) }
    }
    return results.values.map { $0! }
}

/// Work queue and result slots shared by `parallelMap`'s threads, guarded by a lock.
private final class ParallelResults<T>: @unchecked Sendable {
    let lock = NSLock()
    var values: [T?]
    var next = 0
    init(_ n: Int) { values = [T?](repeating: nil, count: n) }
    func claim() -> Int? {
        lock.lock(); defer { lock.unlock() }
        if next >= values.count { return nil }
        next += 1
        return next - 1
    }
    func store(_ i: Int, _ v: T) { lock.lock(); values[i] = v; lock.unlock() }
}
