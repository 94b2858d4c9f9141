/// Counts the multiply-accumulates of matrix products and convolutions while `count` runs
/// (for model summaries). Off by default; when off, each op pays one flag test.
public enum MultiplyAccumulates {
    nonisolated(unsafe) static var counting = false
    nonisolated(unsafe) static var total = 0

    static var isCounting: Bool {
        @inline(__always) get { counting }
    }

    static func add(_ count: Int) { total &+= count }

    /// The running total while counting (read it before and after a call to attribute it).
    public static var current: Int { total }

    /// Runs `body` on this thread with counting on; returns its result and the count.
    /// Other threads must not run ops meanwhile.
    public static func count<T>(_ body: () throws -> T) rethrows -> (result: T, count: Int) {
        let (wasCounting, start) = (counting, total)
        counting = true
        defer { counting = wasCounting }
        let result = try body()
        return (result, total - start)
    }
}
