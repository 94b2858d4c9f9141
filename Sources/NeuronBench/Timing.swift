import Glibc

/// Monotonic time in seconds.
public func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Median of `runs` timings of `body`, in seconds, after `warmup` untimed calls.
public func medianTime(runs: Int, warmup: Int = 3, _ body: () -> Void) -> Double {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    for _ in 0..<runs {
        let start = now()
        body()
        times.append(now() - start)
    }
    times.sort()
    return times[times.count / 2]
}

/// One benchmark result printed as a JSON object on one line.
public struct BenchResult {
    public let name: String
    public let fields: [(String, Double)]

    public init(_ name: String, _ fields: [(String, Double)]) {
        self.name = name
        self.fields = fields
    }

    public var json: String {
        let values = fields.map { "\"\($0.0)\":\(formatNumber($0.1))" }
        return "{\"name\":\"\(name)\"," + values.joined(separator: ",") + "}"
    }
}

func formatNumber(_ value: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buffer, 64, "%.4g", $0) }
    return String(cString: buffer)
}
