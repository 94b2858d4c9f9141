import Glibc

/// Counts the multiply-accumulates of matrix products and convolutions run on one thread
/// while `count` runs (for model summaries). Off by default; when off, each op pays one flag
/// test. Ops on other threads are not counted, and counts on two threads take turns.
public enum MultiplyAccumulates {
    nonisolated(unsafe) static var counting = false
    nonisolated(unsafe) static var total = 0
    nonisolated(unsafe) static var owner = pthread_self()
    static let turn: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        return mutex
    }()

    static var isCounting: Bool {
        @inline(__always) get { counting }
    }

    static func add(_ count: Int) {
        if pthread_equal(pthread_self(), owner) != 0 { total &+= count }
    }

    /// The running total while counting (read it before and after a call to attribute it).
    public static var current: Int { total }

    /// Whether this thread is the one counting.
    public static var isCountingOnThisThread: Bool { counting && pthread_equal(pthread_self(), owner) != 0 }

    /// Runs `body` with counting on for this thread; returns its result and the count.
    public static func count<T>(_ body: () throws -> T) rethrows -> (result: T, count: Int) {
        if isCountingOnThisThread {  // nested: count within the outer run
            let start = total
            let result = try body()
            return (result, total - start)
        }
        pthread_mutex_lock(turn)
        defer { pthread_mutex_unlock(turn) }
        owner = pthread_self()
        total = 0
        counting = true
        defer { counting = false }
        let result = try body()
        return (result, total)
    }
}
