import Neuron
import NeuronModels

/// What `neuron train` does for one family of models: the options every model of the family
/// takes (data sources, training protocol), then its data, step, callbacks and final report.
/// Options common to all families are parsed once into `RunSettings`; a model's own options
/// come from its registry entry.
struct TaskRecipe {
    let family: ModelFamily
    let summary: String
    let specs: [Options.Spec]
    let run: (TrainRun) -> Void
}

/// The recipes, one per family that `neuron train` trains.
let taskRecipes: [TaskRecipe] = [
    classifierRecipe, languageModelRecipe, forecasterRecipe, autoencoderRecipe, variationalAutoencoderRecipe, ganRecipe,
]

/// One `neuron train` run: the model's registry entry, the parsed command line, the shared
/// settings and the model's own options (given or defaulted).
struct TrainRun {
    let entry: ModelEntry
    let options: Options
    let settings: RunSettings
    let config: ModelConfig

    var model: String { entry.name }

    /// The value of one of the model's own integer options.
    func int(_ name: String) -> Int { Int(config.values[name]!)! }
    /// The value of one of the model's own number options.
    func double(_ name: String) -> Double { Double(config.values[name]!)! }
    /// The value of one of the model's own choice options.
    func string(_ name: String) -> String { config.values[name]! }
    /// Whether one of the model's own flags was given.
    func flag(_ name: String) -> Bool { config.values[name] == "true" }
}

extension ModelOption {
    /// The option as `Options` parses it, its default in the help.
    var spec: Options.Spec {
        Options.Spec(name: name, value: kind == .flag ? nil : placeholder, help: help + (defaultText.map { " (default \($0))" } ?? ""))
    }

    /// The option's value on the command line, checked against its kind; the default when absent.
    func value(in options: Options, command: String) -> String? {
        switch kind {
        case .integer(let value, let minimum): return "\(options.int(name, default: value, minimum: minimum))"
        case .number(let value, let nonNegative):
            let number = options.double(name, default: value, positive: !nonNegative)!
            if nonNegative && number < 0 { fail("\(command): '--\(name)' must be ≥ 0, got \(number)") }
            return "\(number)"
        case .choice(let allowed, let value): return options.choice(name, from: allowed, default: value)
        case .flag: return options.flag(name) ? "true" : nil
        }
    }
}

/// The recipe of a family.
func recipe(for family: ModelFamily) -> TaskRecipe {
    guard let recipe = taskRecipes.first(where: { $0.family == family }) else {
        fail("train: no training recipe for the \(family.rawValue) family")
    }
    return recipe
}

/// For every option some other model takes but `entry` does not, the one-line message that
/// refuses it: "'--beta' applies to vae and conv-vae only" within a family's kin, "option
/// '--seq-len' does not apply to model 'mlp' (classifier); it is for char-lstm" across families.
func misplacedOptionMessages(for entry: ModelEntry, accepted: Set<String>) -> [String: String] {
    // Each option another model takes, with those models, in registry order.
    var holders: [String: [ModelEntry]] = [:]
    for other in ModelRegistry.entries where other.name != entry.name {
        let names = Set(recipe(for: other.family).specs.map(\.name) + other.options.map(\.name)).subtracting(accepted)
        for name in names { holders[name, default: []].append(other) }
    }
    var messages: [String: String] = [:]
    for (name, models) in holders {
        if models.contains(where: { $0.family.kin == entry.family.kin }) {
            // An option of a group ("--noise", "--noise-level") is reported with its group.
            let group =
                models.lazy.compactMap { model in
                    model.option(name)?.group.map { group in model.options.filter { $0.group == group }.map(\.name) }
                }.first ?? [name]
            let options = spokenList(group.map { "'--\($0)'" })
            messages[name] = "\(options) \(group.count == 1 ? "applies" : "apply") to \(spokenList(models.map(\.name))) only"
        } else {
            messages[name] =
                "option '--\(name)' does not apply to model '\(entry.name)' (\(entry.family.rawValue)); "
                + "it is for \(models.map(\.name).joined(separator: ", "))"
        }
    }
    return messages
}

/// "a", "a and b", "a, b and c".
func spokenList(_ items: [String]) -> String {
    items.count <= 1 ? items.joined() : items.dropLast().joined(separator: ", ") + " and " + items.last!
}
