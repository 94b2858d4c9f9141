import Glibc

/// Command-line options: `--name value` or `--name=value`, and boolean `--flag`s. Unknown
/// options, missing values and malformed numbers are usage errors (exit status 2).
struct Options {
    struct Spec {
        let name: String
        let value: String?  // placeholder shown in help; nil for a boolean flag
        let help: String
    }

    let command: String
    let specs: [Spec]
    let usage: String
    var values: [String: String] = [:]
    var flags: Set<String> = []

    /// `elsewhere` gives, for options that exist but not here, the message that refuses them
    /// ("option '--seq-len' does not apply to model 'mlp' …"). `usage` replaces the help's first line.
    init(command: String, specs: [Spec], arguments: [String], elsewhere: [String: String] = [:], usage: String? = nil) {
        self.command = command
        self.specs = specs + [Spec(name: "help", value: nil, help: "show this help")]
        self.usage = usage ?? "usage: neuron \(command) [options]"
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            guard argument.hasPrefix("--") else { fail("\(command): unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2))
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let spec = self.specs.first(where: { $0.name == name }) else {
                if let message = elsewhere[name] { fail("\(command): \(message)") }
                fail("\(command): unknown option '--\(name)'; run `neuron \(command) --help`")
            }
            if spec.value == nil {
                guard inline == nil else { fail("\(command): option '--\(name)' takes no value") }
                flags.insert(name)
            } else if let inline {
                values[name] = inline
            } else {
                guard i + 1 < arguments.count, !arguments[i + 1].hasPrefix("--") else {
                    fail("\(command): option '--\(name)' needs a value (\(spec.value!))")
                }
                i += 1
                values[name] = arguments[i]
            }
            i += 1
        }
        if flags.contains("help") {
            print(helpText)
            exit(0)
        }
    }

    var helpText: String {
        let width = specs.map { $0.name.count + ($0.value.map { $0.count + 1 } ?? 0) }.max() ?? 0
        let lines = specs.map { spec -> String in
            let left = "--" + spec.name + (spec.value.map { " " + $0 } ?? "")
            return "  " + left + String(repeating: " ", count: width + 4 - left.count + 2) + spec.help
        }
        return usage + "\n\noptions:\n" + lines.joined(separator: "\n")
    }

    func string(_ name: String, default value: String? = nil) -> String? { values[name] ?? value }

    func required(_ name: String) -> String {
        guard let value = values[name] else { fail("\(command): missing required option '--\(name)'") }
        return value
    }

    func int(_ name: String, default value: Int, minimum: Int = 1) -> Int {
        guard let text = values[name] else { return value }
        guard let number = Int(text), number >= minimum else {
            fail("\(command): '--\(name)' must be an integer ≥ \(minimum), got '\(text)'")
        }
        return number
    }

    func double(_ name: String, default value: Double? = nil, positive: Bool = true) -> Double? {
        guard let text = values[name] else { return value }
        guard let number = Double(text), number.isFinite, !positive || number > 0 else {
            fail("\(command): '--\(name)' must be a \(positive ? "positive " : "")number, got '\(text)'")
        }
        return number
    }

    func choice(_ name: String, from allowed: [String], default value: String) -> String {
        let chosen = values[name] ?? value
        guard allowed.contains(chosen) else {
            fail("\(command): '--\(name)' must be one of \(allowed.joined(separator: ", ")), got '\(chosen)'")
        }
        return chosen
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
}

/// `--data DIR`, taken by every command that reads Fashion-MNIST.
let fashionDataSpec = Options.Spec(name: "data", value: "DIR", help: "folder holding the Fashion-MNIST files (default: Debian's location)")
