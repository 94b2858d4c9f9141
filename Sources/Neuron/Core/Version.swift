/// The version of the Neuron package (semantic versioning); CHANGELOG.md has a section per
/// version and the repository a tag `X.Y.Z` for each.
public enum LibraryVersion {
    public static let current = "0.1.0"
}
