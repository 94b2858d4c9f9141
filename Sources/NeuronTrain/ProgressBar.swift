import Glibc

/// A Keras-style progress display. On a terminal it redraws one line per epoch:
/// `312/938 [=========>.........] - ETA: 4s - 1.2ms/step - 53211 samples/s - loss: 0.4123`;
/// elsewhere (CI, pipes) it prints one plain line per epoch.
public final class ProgressBar: Callback {
    let interactive: Bool
    let width = 30
    var epochStart = 0.0, lastDraw = 0.0, samples = 0, steps = 0
    public var mainProcessOnly: Bool { true }

    public init(interactive: Bool? = nil) {
        self.interactive = interactive ?? (isatty(STDOUT_FILENO) != 0)
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    public func epochBegin(_ trainer: Trainer) {
        epochStart = ProgressBar.now()
        lastDraw = 0
        samples = 0
        steps = 0
        if interactive { print("Epoch \(trainer.epoch + 1)/\(trainer.totalEpochs)") }
    }

    public func batchEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        samples += Int(logs["batch_size"] ?? 0)
        steps += 1
        guard interactive else { return }
        let now = ProgressBar.now()
        let total = trainer.batchesPerEpoch
        guard now - lastDraw > 0.1 || trainer.batchIndex == total else { return }
        lastDraw = now
        let elapsed = now - epochStart
        let perStep = elapsed / Double(max(steps, 1))
        let done = trainer.batchIndex
        let eta = perStep * Double(total - done)
        let line =
            "\(pad(done, total))/\(total) \(bar(done, total)) - ETA: \(duration(eta)) - \(milliseconds(perStep))/step"
            + " - \(Int(Double(samples) / max(elapsed, 1e-9))) samples/s" + figures(logs)
        print("\r" + line + "\u{1B}[K", terminator: "")
        fflush(stdout)
    }

    public func epochEnd(_ trainer: Trainer, logs: [String: Double]) throws {
        let elapsed = ProgressBar.now() - epochStart
        let perStep = elapsed / Double(max(steps, 1))
        let summary =
            "\(duration(elapsed)) \(milliseconds(perStep))/step - \(Int(Double(samples) / max(elapsed, 1e-9))) samples/s"
            + figures(logs)
        if interactive {
            let total = trainer.batchesPerEpoch
            print("\r\(total)/\(total) \(bar(total, total)) - " + summary + "\u{1B}[K")
        } else {
            print("Epoch \(trainer.epoch + 1)/\(trainer.totalEpochs) - \(steps) steps - " + summary)
        }
        fflush(stdout)
    }

    func figures(_ logs: [String: Double]) -> String {
        let keys = logs.keys.filter { !["batch_size", "seconds", "samples_per_s", "epoch"].contains($0) }.sorted { a, b in
            (a.hasPrefix("val_") ? 1 : 0, a) < (b.hasPrefix("val_") ? 1 : 0, b)
        }
        return keys.map { " - \($0): \(format($0 == "lr" ? "%.3g" : "%.4f", logs[$0]!))" }.joined()
    }

    func bar(_ done: Int, _ total: Int) -> String {
        let filled = total == 0 ? width : width * done / total
        if filled >= width { return "[" + String(repeating: "=", count: width) + "]" }
        return "[" + String(repeating: "=", count: filled) + ">" + String(repeating: ".", count: width - filled - 1) + "]"
    }

    func pad(_ value: Int, _ total: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(String(total).count - text.count, 0)) + text
    }

    func duration(_ seconds: Double) -> String {
        seconds >= 3600
            ? "\(Int(seconds) / 3600):\(format("%02d", Double(Int(seconds) % 3600 / 60)))h"
            : seconds >= 60 ? "\(Int(seconds) / 60)m\(Int(seconds) % 60)s" : "\(Int(seconds.rounded()))s"
    }

    func milliseconds(_ seconds: Double) -> String {
        seconds >= 0.1 ? "\(Int(seconds * 1000))ms" : format("%.1fms", seconds * 1000)
    }
}

func format(_ pattern: String, _ value: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    if pattern.contains("d") {
        _ = withVaList([Int(value)]) { vsnprintf(&buffer, 64, pattern, $0) }
    } else {
        _ = withVaList([value]) { vsnprintf(&buffer, 64, pattern, $0) }
    }
    return String(cString: buffer)
}
