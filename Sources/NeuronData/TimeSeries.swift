import Foundation
import Neuron

/// A univariate series read from a CSV column, with optional labels (a time column) for plots.
public struct TimeSeries {
    /// Yearly sunspot numbers 1700–2008, shipped with Debian's `python3-statsmodels`.
    public static let sunspotsPath = "/usr/lib/python3/dist-packages/statsmodels/datasets/sunspots/sunspots.csv"

    public let name: String
    public let values: [Double]
    /// The first column's numbers when it is a numeric column other than the values (years,
    /// time stamps); otherwise 0, 1, 2, …
    public let labels: [Double]
    /// What the labels are ("YEAR", or "time" for positions).
    public let labelName: String

    public init(name: String, values: [Double], labels: [Double]? = nil, labelName: String = "time") {
        self.name = name
        self.values = values
        self.labels = labels ?? values.indices.map(Double.init)
        self.labelName = labels == nil ? "time" : labelName
    }

    /// Reads `column` (default: the last column) of a CSV file with a header row. Missing or
    /// non-numeric values are errors.
    public static func load(csv path: String, column: String? = nil) throws -> TimeSeries {
        let table = try CSV.read(path)
        let index = try column.map { try table.column(named: $0) } ?? table.header.count - 1
        let values: [Double]
        do { values = try table.numbers(column: index) } catch let error as DataError { throw DataError("\(path): \(error.message)") }
        if let gap = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError("\(path): row \(gap + 2) of column '\(table.header[index])' is empty or not finite")
        }
        guard values.count >= 8 else { throw DataError("\(path): a series needs at least 8 values, got \(values.count)") }
        let labels = index != 0 ? try? table.numbers(column: 0) : nil
        return TimeSeries(
            name: table.header[index], values: values, labels: labels?.allSatisfy(\.isFinite) == true ? labels : nil,
            labelName: table.header[0])
    }

    /// The yearly sunspot numbers; a clear error names the package when it is missing.
    public static func sunspots(path: String = sunspotsPath) throws -> TimeSeries {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(
                "no sunspot data at \(path); install Debian's 'python3-statsmodels' package (apt-get install python3-statsmodels) or pass --csv FILE")
        }
        return try load(csv: path, column: "SUNACTIVITY")
    }

    /// One-step-ahead samples from `values`: for each target position t in `targets`, the
    /// `window` values before it ([N, W]) and the value at t ([N, 1]), as float32.
    public static func windows(_ values: [Double], window: Int, targets: Range<Int>) -> TensorDataset {
        let positions = Array(targets.filter { $0 >= window && $0 < values.count })
        let inputs = positions.flatMap { values[($0 - window)..<$0] }
        return TensorDataset(
            inputs: Tensor(inputs, shape: [positions.count, window], dtype: .float32),
            targets: Tensor(positions.map { values[$0] }, shape: [positions.count, 1], dtype: .float32))
    }
}
