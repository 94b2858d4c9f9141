import Neuron

/// Comma-separated values (RFC 4180 quoting: fields in double quotes may hold commas,
/// newlines and doubled quotes).
public enum CSV {
    /// Rows of fields, the header (if any) first.
    public static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false, wasQuoted = false
        var line = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        func endRow() {
            row.append(field)
            if !(row.count == 1 && row[0].isEmpty && !wasQuoted) { rows.append(row) }
            row = []
            field = ""
            wasQuoted = false
        }
        while let c = pending {
            pending = iterator.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty else { throw DataError("line \(line): quote inside an unquoted field") }
                quoted = true
                wasQuoted = true
            case ",":
                row.append(field)
                field = ""
                wasQuoted = false
            case "\r":
                if pending == "\n" { continue }
                endRow()
                line += 1
            case "\n":
                endRow()
                line += 1
            default:
                field.unicodeScalars.append(c)
            }
        }
        if quoted { throw DataError("line \(line): unterminated quoted field") }
        if !field.isEmpty || !row.isEmpty || wasQuoted { endRow() }
        return rows
    }

    /// A table read from a file: the header names and the rows of fields.
    public struct Table {
        public let header: [String]
        public let rows: [[String]]

        /// The position of a named column.
        public func column(named name: String) throws -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw DataError("no column '\(name)' (columns: \(header.joined(separator: ", ")))")
            }
            return index
        }

        /// A column as float64 values; empty cells become NaN, other non-numbers are errors.
        public func numbers(column: Int) throws -> [Double] {
            try rows.enumerated().map { index, row in
                let text = row[column].trimmingSpaces
                if text.isEmpty { return .nan }
                guard let value = Double(text) else {
                    throw DataError("row \(index + 2), column '\(header[column])': '\(row[column])' is not a number")
                }
                return value
            }
        }
    }

    /// Reads a CSV file with a header row; every row must have as many fields as the header.
    public static func read(_ path: String) throws -> Table {
        let bytes = try readFileBytes(path)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw DataError("\(path): not UTF-8 text") }
        let rows: [[String]]
        do { rows = try parse(text) } catch let error as DataError { throw DataError("\(path): \(error.message)") }
        guard let header = rows.first else { throw DataError("\(path): empty CSV file") }
        for (i, row) in rows.enumerated().dropFirst() where row.count != header.count {
            throw DataError("\(path): row \(i + 1) has \(row.count) fields, the header has \(header.count)")
        }
        return Table(header: header, rows: Array(rows.dropFirst()))
    }

    /// Writes a header and rows, quoting fields that need it.
    public static func format(header: [String], rows: [[String]]) -> String {
        func quote(_ field: String) -> String {
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                ? "\"" + field.replacingAll("\"", with: "\"\"") + "\"" : field
        }
        return ([header] + rows).map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }

    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
