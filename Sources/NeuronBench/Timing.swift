import Glibc
import Neuron

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

/// One benchmark result printed as a JSON object on one line, with the vector level its CPU
/// kernels ran at (`kernels`: avx512, avx2 or baseline; see ``VectorLevel``).
public struct BenchResult {
    public let name: String
    public let fields: [(String, Double)]
    /// A quality figure reported next to the speed (e.g. test accuracy).
    public let metric: (String, Double)?

    public init(_ name: String, _ fields: [(String, Double)], metric: (String, Double)? = nil) {
        self.name = name
        self.fields = fields
        self.metric = metric
    }

    public var json: String {
        var values = fields.map { "\"\($0.0)\":\(formatNumber($0.1))" }
        if let metric { values += ["\"metric_name\":\"\(metric.0)\"", "\"metric\":\(formatNumber(metric.1))"] }
        values.append("\"kernels\":\"\(VectorLevel.current)\"")
        return "{\"name\":\"\(name)\"," + values.joined(separator: ",") + "}"
    }
}

func formatNumber(_ value: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buffer, 64, "%.4g", $0) }
    return String(cString: buffer)
}
