import Neuron

/// A text-classification dataset from a folder of fortune files (Debian's `fortunes`: one
/// topic per file, entries separated by lines holding only `%`): one class per requested
/// file, each entry one example with its lines joined by spaces.
public struct FortuneTopics {
    public static let defaultDirectory = "/usr/share/games/fortunes"
    public static let defaultCategories = ["computers", "education", "food", "law", "love", "politics", "science", "sports"]

    public let categories: [String]
    /// Entry texts and their class indices, in file order.
    public let texts: [String], labels: [Int]
    /// Entries skipped: empty ones (two `%` lines in a row) and ones that were not valid UTF-8.
    public let skippedEmpty: Int, skippedInvalid: Int

    /// Reads `<directory>/<category>` for each category. A missing file is an error naming the
    /// package (for the default folder) or the file; a file without a final `%` still yields
    /// its last entry.
    public init(directory: String = FortuneTopics.defaultDirectory, categories: [String] = FortuneTopics.defaultCategories) throws {
        precondition(!categories.isEmpty, "FortuneTopics: no categories")
        var texts: [String] = [], labels: [Int] = [], empty = 0, invalid = 0
        for (label, category) in categories.enumerated() {
            let path = "\(directory)/\(category)"
            let bytes: [UInt8]
            do {
                bytes = try readFileBytes(path)
            } catch {
                throw DataError(
                    directory == FortuneTopics.defaultDirectory
                        ? "\(path) not found: install Debian's fortunes (apt-get install fortunes fortunes-min) or pass --text-dir DIR"
                        : "\(path): no such topic file (categories are file names in \(directory))")
            }
            var entry: [UInt8] = [], count = 0
            func finish() {
                defer { entry = [] }
                guard let text = String(validating: entry, as: UTF8.self) else {
                    invalid += 1
                    return
                }
                let joined = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
                if joined.isEmpty {
                    empty += 1
                    return
                }
                texts.append(joined)
                labels.append(label)
                count += 1
            }
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                let line = bytes[start..<end]
                if line == [0x25] || line == [0x25, 0x0D] {
                    finish()
                } else {
                    entry += line
                    entry.append(0x0A)
                }
                start = end + 1
            }
            if !entry.isEmpty { finish() }
            if count == 0 { throw DataError("\(path): no entries") }
        }
        (self.categories, self.texts, self.labels, skippedEmpty, skippedInvalid) = (categories, texts, labels, empty, invalid)
    }

    /// A deterministic stratified split: `testFraction` of each class (rounded, at least one)
    /// to the test side, chosen by a seeded shuffle; both sides keep file order.
    public func split(testFraction: Double = 0.2, seed: UInt64 = 0) -> (train: [Int], test: [Int]) {
        stratifiedSplit(labels: labels, classes: categories.count, testFraction: testFraction, seed: seed)
    }
}

/// Indices of a stratified split: `testFraction` of each class (rounded, at least one when the
/// class has two or more examples) to the test side, chosen by a seeded shuffle; both sides in
/// index order.
public func stratifiedSplit(labels: [Int], classes: Int, testFraction: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
    let generator = RandomGenerator(seed: seed)
    var train: [Int] = [], test: [Int] = []
    for c in 0..<classes {
        var members = labels.indices.filter { labels[$0] == c }
        generator.shuffle(&members)
        let testCount = members.count < 2 ? 0 : max(1, Int((Double(members.count) * testFraction).rounded()))
        test += members.prefix(testCount)
        train += members.dropFirst(testCount)
    }
    return (train.sorted(), test.sorted())
}

/// The first `perClass` indices of each class in a seeded shuffle of `indices` (all of them
/// when `perClass` is nil), in index order.
public func labelsPerClass(_ indices: [Int], labels: [Int], classes: Int, perClass: Int?, seed: UInt64) -> [Int] {
    guard let perClass else { return indices }
    var order = indices
    RandomGenerator(seed: seed).shuffle(&order)
    var counts = [Int](repeating: 0, count: classes), chosen: [Int] = []
    for index in order where counts[labels[index]] < perClass {
        counts[labels[index]] += 1
        chosen.append(index)
    }
    return chosen.sorted()
}
