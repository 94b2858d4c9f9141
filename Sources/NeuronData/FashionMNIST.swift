import Glibc
import Neuron

/// Zalando's Fashion-MNIST: 60,000 training and 10,000 test images of 28 × 28 grey pixels
/// in 10 classes, read from the IDX files Debian's `dataset-fashion-mnist` installs.
public enum FashionMNIST {
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    public enum Split: Sendable { case train, test }

    /// Mean and standard deviation of the training pixels (scaled to [0, 1]).
    public static let pixelMean = 0.2860, pixelStd = 0.3530

    /// Standardises [0, 1] pixels with the training set's mean and standard deviation.
    public static func normalize(_ images: Tensor) -> Tensor { (images - pixelMean) / pixelStd }

    /// Images as float32 [N, 1, 28, 28] scaled to [0, 1] (then standardised when `normalized`)
    /// and labels as int64 [N]. `directory` defaults to Debian's location; files may be
    /// gzipped or not.
    public static func load(_ split: Split, directory: String? = nil, normalized: Bool = false) throws -> TensorDataset {
        try load(split, directory: directory, normalized: normalized, searchingDefault: defaultDirectory)
    }

    static func load(_ split: Split, directory: String?, normalized: Bool = false, searchingDefault: String) throws -> TensorDataset {
        let folder = directory ?? searchingDefault
        let prefix = split == .train ? "train" : "t10k"
        func locate(_ stem: String) throws -> String {
            for name in ["\(prefix)-\(stem).gz", "\(prefix)-\(stem)"] where access("\(folder)/\(name)", R_OK) == 0 {
                return "\(folder)/\(name)"
            }
            if directory == nil {
                throw DataError(
                    "Fashion-MNIST not found in \(folder): install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)")
            }
            throw DataError("Fashion-MNIST file \(prefix)-\(stem)[.gz] not found in \(folder)")
        }
        // Each byte's pixel value, scaled (and standardised) as `images / 255` and `normalize` would.
        let byteValues = (0...255).map { byte -> Float in
            let pixel = Float(byte) / 255
            return normalized ? (pixel - Float(pixelMean)) / Float(pixelStd) : pixel
        }
        let images = try IDX.read(try locate("images-idx3-ubyte"), byteValues: byteValues)
        let labels = try IDX.read(try locate("labels-idx1-ubyte"))
        guard images.rank == 3, images.shape[1] == 28, images.shape[2] == 28, labels.rank == 1,
            labels.shape[0] == images.shape[0]
        else {
            throw DataError("Fashion-MNIST files in \(folder) have unexpected shapes \(images.shape) and \(labels.shape)")
        }
        return TensorDataset(inputs: images.reshaped([-1, 1, 28, 28]), targets: labels)
    }
}
